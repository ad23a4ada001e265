// The dashboard's live updates against the real binary, read by Beast's
// own WebSocket client over TLS: changes arrive as they happen, a client
// that reconnects with its last cursor gets what it missed and nothing
// twice, another tenant's changes never arrive, the polling form answers
// the same, and refusals (no upgrade, a bad cursor, no cert:read) are clear.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <encoding/url.hpp>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

// A WebSocket to the host, authenticated by a bearer token.
class LiveSocket {
 public:
  LiveSocket(const std::string& url, const std::string& ca_file, const std::string& token, const std::string& since = "")
      : tls_(asio::ssl::context::tls_client), ws_(ioc_, tls_) {
    tls_.load_verify_file(ca_file);
    tls_.set_verify_mode(asio::ssl::verify_peer);
    const std::string port = url.substr(url.rfind(':') + 1);
    asio::ip::tcp::resolver resolver(ioc_);
    beast::get_lowest_layer(ws_).connect(resolver.resolve("127.0.0.1", port));
    ws_.next_layer().handshake(asio::ssl::stream_base::client);
    ws_.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& r) { r.set(beast::http::field::authorization, "Bearer " + token); }));
    ws_.handshake("127.0.0.1:" + port, "/v1/events/ws" + (since.empty() ? "" : "?since=" + encoding::url_encode(since)));
  }

  // The next message whose type is `type`, skipping others; null after `wait`.
  json next(const std::string& type, std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      const json m = read(until);
      if (m.is_null()) return nullptr;
      seen_.push_back(m);
      if (m.value("type", "") == type) return m;
    }
    return nullptr;
  }
  const std::vector<json>& seen() const { return seen_; }

 private:
  json read(std::chrono::steady_clock::time_point until) {
    std::optional<std::string> text;
    beast::flat_buffer buffer;
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      if (!ec) text = beast::buffers_to_string(buffer.data());
    });
    ioc_.restart();
    ioc_.run_until(until);
    if (!text) {
      beast::get_lowest_layer(ws_).close();  // the socket is spent after a timeout
      ioc_.restart();
      ioc_.run();
      return nullptr;
    }
    return json::parse(*text, nullptr, false);
  }

  asio::io_context ioc_;
  asio::ssl::context tls_;
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
  std::vector<json> seen_;
};

class Live : public ::testing::Test {
 protected:
  json call(const std::string& method, const std::string& path, const std::string& body, int expected, const std::string& token = "") {
    auto r = http(method, host_.url() + path, body, token.empty() ? host_.admin_token() : token, host_.ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    EXPECT_EQ(r->status, expected) << method << " " << path << ": " << r->body;
    return json_of(r.value());
  }
  std::string token_in(const std::string& tenant, const std::string& role, const std::string& service = "") {
    json body = {{"roles", {role}}, {"tenant", tenant}};
    if (!service.empty()) body["service"] = service;
    const std::string token = call("POST", "/v1/tokens", body.dump(), 201).value("token", "");
    EXPECT_FALSE(token.empty());
    return token;
  }

  DevHost host_;
};

TEST_F(Live, ChangesArriveAndAReconnectResumesWhereItLeftOff) {
  ASSERT_TRUE(host_.started()) << host_.log();
  auto socket = std::make_unique<LiveSocket>(host_.url(), host_.ca_file(), host_.admin_token());
  const json first_stats = socket->next("stats");
  ASSERT_FALSE(first_stats.is_null()) << "a stats message comes first";
  EXPECT_EQ(first_stats["stats"]["tenants"], json::array({"default"}));

  const json a = host_.issue("a.test");
  const json issued = socket->next("certificate.issued");
  ASSERT_FALSE(issued.is_null());
  EXPECT_EQ(issued.value("certificate_id", ""), a.value("id", ""));
  EXPECT_EQ(issued.value("tenant", ""), "default");
  const json done = socket->next("request.status");
  ASSERT_FALSE(done.is_null());
  const json after_issue = socket->next("stats");
  ASSERT_FALSE(after_issue.is_null()) << "numbers follow a change";
  EXPECT_EQ(after_issue["stats"]["certificates"]["active"], 1);

  call("POST", "/v1/certificates/" + a.value("id", "") + "/revoke", R"({"reason":"superseded"})", 200);
  const json revoked = socket->next("certificate.revoked");
  ASSERT_FALSE(revoked.is_null());
  const std::string cursor = revoked.value("cursor", "");
  socket.reset();  // the dashboard loses its connection...

  const json b = host_.issue("b.test");  // ...while this happens
  call("POST", "/v1/certificates/" + b.value("id", "") + "/revoke", R"({"reason":"superseded"})", 200);
  LiveSocket resumed(host_.url(), host_.ca_file(), host_.admin_token(), cursor);
  const json missed = resumed.next("certificate.revoked");
  ASSERT_FALSE(missed.is_null());
  EXPECT_EQ(missed.value("certificate_id", ""), b.value("id", ""));
  for (const auto& m : resumed.seen())
    EXPECT_NE(m.value("certificate_id", ""), a.value("id", "")) << "already seen before the reconnect: " << m.dump();

  // The polling form from the same cursor says the same.
  const json polled = call("GET", "/v1/events?since=" + encoding::url_encode(cursor), "", 200);
  std::vector<std::string> types;
  for (const auto& e : polled.at("events")) types.push_back(e.value("type", "") + ":" + e.value("certificate_id", e.value("request_id", "")));
  EXPECT_NE(std::find(types.begin(), types.end(), "certificate.revoked:" + b.value("id", "")), types.end()) << polled.dump();
  EXPECT_TRUE(polled.value("next", json()).is_string());
  const json nothing = call("GET", "/v1/events?since=" + encoding::url_encode(polled.value("next", "")), "", 200);
  EXPECT_TRUE(nothing.at("events").empty()) << nothing.dump();
}

TEST_F(Live, AnotherTenantsChangesNeverArrive) {
  ASSERT_TRUE(host_.started()) << host_.log();
  call("POST", "/v1/tenants", R"({"slug":"other","name":"Other"})", 201);
  LiveSocket other(host_.url(), host_.ca_file(), token_in("other", "auditor"));
  ASSERT_FALSE(other.next("stats").is_null());
  const json a = host_.issue("mine.test");
  EXPECT_TRUE(other.next("certificate.issued", std::chrono::milliseconds(3000)).is_null());
  for (const auto& m : other.seen()) {
    EXPECT_NE(m.value("certificate_id", ""), a.value("id", "")) << m.dump();
    if (m.value("type", "") == "stats") EXPECT_EQ(m["stats"]["certificates"]["total"], 0) << m.dump();
  }
  EXPECT_EQ(call("GET", "/v1/events?tenant=default", "", 404, token_in("other", "auditor"))["error"]["code"], "not_found");
}

TEST_F(Live, RefusalsAreClear) {
  ASSERT_TRUE(host_.started()) << host_.log();
  const json plain = call("GET", "/v1/events/ws", "", 426);
  EXPECT_EQ(plain["error"]["code"], "upgrade_required");
  EXPECT_EQ(call("GET", "/v1/events?since=bm90IGEgY3Vyc29y", "", 400)["error"]["code"], "invalid_request");
  EXPECT_EQ(call("GET", "/v1/events", "", 403, token_in("default", "secrets_user", "app"))["error"]["code"], "permission_denied");
  auto anonymous = http("GET", host_.url() + "/v1/events", "", "", host_.ca_file());
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

}  // namespace
}  // namespace signet::test
