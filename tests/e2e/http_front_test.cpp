// The HTTP(S) front of the real binary: routing errors, authentication
// failures, size limits, timeouts and TLS versions.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "services/http_client.hpp"

namespace signet::test {
namespace {

using std::chrono::milliseconds;

// One host per suite: plain HTTP for the raw-socket checks of the parser,
// HTTPS for TLS and authentication.
class HttpFront : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    dir_->write("plain.yaml", host_config(*dir_, "", false));
    dir_->write("tls.yaml", host_config(*dir_, "", true));
    token_ = new std::string(bootstrap_token(*dir_, dir_->file("tls.yaml")));
    plain_ = new SignetProcess({"serve", "--config", dir_->file("plain.yaml")}, dir_->file("plain.log"));
    tls_ = new SignetProcess({"serve", "--config", dir_->file("tls.yaml")}, dir_->file("tls.log"));
  }
  static void TearDownTestSuite() {
    delete plain_;
    delete tls_;
    delete token_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(plain_->started()) << plain_->log();
    ASSERT_TRUE(tls_->started()) << tls_->log();
    ASSERT_FALSE(token_->empty());
  }
  void TearDown() override {
    // Whatever a test sent, both hosts are still there.
    auto health = http("GET", tls_->url() + "/health", "", "", ca());
    ASSERT_TRUE(health);
    EXPECT_EQ(health.value().status, 200);
    const auto plain = raw_exchange(plain_->port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                    milliseconds(5000));
    EXPECT_EQ(plain.received.rfind("HTTP/1.1 200", 0), 0u) << "the plain host died";
  }

  static signet::HttpResponse get(const std::string& path, const std::string& token) {
    auto r = http("GET", tls_->url() + path, "", token, ca());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r.value() : signet::HttpResponse{};
  }
  static std::string ca() { return dir_->path() + "/data/ca.pem"; }

  static TempDir* dir_;
  static std::string* token_;
  static SignetProcess* plain_;
  static SignetProcess* tls_;
};

TempDir* HttpFront::dir_ = nullptr;
std::string* HttpFront::token_ = nullptr;
SignetProcess* HttpFront::plain_ = nullptr;
SignetProcess* HttpFront::tls_ = nullptr;

TEST_F(HttpFront, HealthReadyAndMetricsAnswerWithoutAToken) {
  EXPECT_EQ(json_of(get("/health", ""))["status"], "ok");
  const auto ready = get("/ready", "");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json_of(ready)["checks"]["database"], "ok");
  const auto metrics = get("/metrics", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.header("content-type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE signet_http_requests_total counter"), std::string::npos);
}

TEST_F(HttpFront, EveryResponseCarriesARequestId) {
  const auto a = get("/health", ""), b = get("/v1/nowhere", *token_);
  EXPECT_EQ(a.header("x-request-id").rfind("rid_", 0), 0u);
  EXPECT_EQ(b.header("x-request-id").rfind("rid_", 0), 0u);
  EXPECT_NE(a.header("x-request-id"), b.header("x-request-id"));
  EXPECT_EQ(json_of(b)["error"]["request_id"], b.header("x-request-id"));
}

TEST_F(HttpFront, AnUnknownRouteIs404WithTheErrorBody) {
  const auto r = get("/v1/nowhere", *token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json_of(r)["error"]["code"], "not_found");
  EXPECT_EQ(json_of(r)["error"]["message"], "no route for /v1/nowhere");
}

TEST_F(HttpFront, APathThatIsNotUtf8IsAnsweredNotFatal) {
  const auto r = raw_exchange(plain_->port(), "GET /%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                              milliseconds(5000));
  EXPECT_EQ(r.received.rfind("HTTP/1.1 404", 0), 0u) << r.received;
  EXPECT_NE(r.received.find("\"not_found\""), std::string::npos);
}

TEST_F(HttpFront, UnknownMethodsAreRefused) {
  const auto r = raw_exchange(plain_->port(), "FROB /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                              milliseconds(5000));
  EXPECT_EQ(r.received.rfind("HTTP/1.1 405", 0), 0u) << r.received;
}

TEST_F(HttpFront, AWrongMethodIs405WithAllow) {
  auto r = http("DELETE", tls_->url() + "/health", "", "", ca());
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().status, 405);
  EXPECT_EQ(r.value().header("allow"), "GET");
  EXPECT_EQ(json_of(r.value())["error"]["code"], "method_not_allowed");
}

TEST_F(HttpFront, AMissingTokenIs401WithAChallenge) {
  const auto r = get("/v1/requests/req_x", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer realm=\"signet\"");
  EXPECT_EQ(json_of(r)["error"]["code"], "unauthenticated");
  EXPECT_EQ(json_of(r)["error"]["message"], "missing bearer token");
}

TEST_F(HttpFront, AWrongTokenIs401AndSaysNothingMore) {
  for (const std::string& token : std::vector<std::string>{"sgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-even-a-token", *token_ + "x"}) {
    const auto r = get("/v1/requests/req_x", token);
    EXPECT_EQ(r.status, 401) << token;
    EXPECT_EQ(json_of(r)["error"]["message"], "the token is invalid, expired or revoked");
    EXPECT_EQ(r.body.find(token), std::string::npos) << "the token is never echoed";
  }
}

TEST_F(HttpFront, AnotherSchemeThanBearerIs401) {
  signet::HttpRequest request;
  request.url = tls_->url() + "/v1/requests/req_x";
  request.headers = {{"Authorization", "Basic YWRtaW46YWRtaW4="}};
  request.options.ca_file = ca();
  static signet::host::CurlHttpClient client;
  auto r = client.send(request);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().status, 401);
}

TEST_F(HttpFront, TheRightTokenIsAccepted) {
  const auto r = get("/v1/requests/req_unknown", *token_);
  EXPECT_EQ(r.status, 404) << "authenticated, and the request does not exist";
  EXPECT_EQ(json_of(r)["error"]["message"], "no request req_unknown");
}

TEST_F(HttpFront, AnOversizeBodyIs413) {
  const std::string request = "POST /v1/certificates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: 100000\r\n\r\n" + std::string(100000, 'a');
  const auto r = raw_exchange(plain_->port(), request, milliseconds(5000));
  EXPECT_EQ(r.received.rfind("HTTP/1.1 413", 0), 0u) << r.received;
  EXPECT_NE(r.received.find("\"body_too_large\""), std::string::npos);
  EXPECT_TRUE(r.closed_by_peer);
}

TEST_F(HttpFront, OversizeHeadersAre431) {
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n";
  const auto r = raw_exchange(plain_->port(), request, milliseconds(5000));
  EXPECT_EQ(r.received.rfind("HTTP/1.1 431", 0), 0u) << r.received.substr(0, 200);
  EXPECT_NE(r.received.find("\"headers_too_large\""), std::string::npos);
}

TEST_F(HttpFront, AMalformedRequestIs400) {
  const auto r = raw_exchange(plain_->port(), "GARBAGE\x01 / HTTP/9\r\n\r\n", milliseconds(5000));
  EXPECT_EQ(r.received.rfind("HTTP/1.1 400", 0), 0u) << r.received;
  EXPECT_NE(r.received.find("\"bad_request\""), std::string::npos);
  EXPECT_TRUE(r.closed_by_peer);
}

TEST_F(HttpFront, CertificateRequestsNeedAnIssuePipeline) {
  auto r = http("POST", tls_->url() + "/v1/certificates", "{not json", *token_, ca());
  ASSERT_TRUE(r);
  // No issue pipeline on this host: that refusal comes first and is 501.
  EXPECT_EQ(r.value().status, 501);
  EXPECT_EQ(json_of(r.value())["error"]["code"], "not_configured");
}

TEST_F(HttpFront, ASlowClientIsCutOffAtTheReadTimeout) {
  // Half a request, then silence: read_timeout is 1 s.
  const auto r = raw_exchange(plain_->port(), "GET /health HTTP/1.1\r\nHost: x\r\n", milliseconds(8000));
  EXPECT_TRUE(r.closed_by_peer);
  EXPECT_TRUE(r.received.empty()) << r.received;
  EXPECT_GE(r.elapsed, milliseconds(900));
  EXPECT_LT(r.elapsed, milliseconds(5000));
}

TEST_F(HttpFront, ATlsClientThatNeverHandshakesIsCutOff) {
  const auto r = raw_exchange(tls_->port(), "", milliseconds(8000));
  EXPECT_TRUE(r.closed_by_peer);
  EXPECT_LT(r.elapsed, milliseconds(5000));
}

TEST_F(HttpFront, KeepAliveServesSeveralRequestsThenClosesWhenIdle) {
  const std::string one = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto r = raw_exchange(plain_->port(), one + one, milliseconds(8000));
  std::size_t answers = 0;
  for (std::size_t at = r.received.find("HTTP/1.1 200"); at != std::string::npos; at = r.received.find("HTTP/1.1 200", at + 1))
    ++answers;
  EXPECT_EQ(answers, 2u) << r.received;
  EXPECT_TRUE(r.closed_by_peer) << "idle_timeout is 2 s";
  EXPECT_GE(r.elapsed, milliseconds(1500));
  EXPECT_LT(r.elapsed, milliseconds(6000));
}

TEST_F(HttpFront, PlainHttpIsNotServedOnTheTlsPort) {
  const auto r = raw_exchange(tls_->port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", milliseconds(5000));
  EXPECT_EQ(r.received.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpFront, OnlyTls12And13AreOffered) {
  const std::string connect = "echo | timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(tls_->port()) +
                              " -CAfile " + ca() + " ";
  EXPECT_EQ(run_command(connect + "-tls1_2").status, 0);
  EXPECT_EQ(run_command(connect + "-tls1_3").status, 0);
  EXPECT_NE(run_command(connect + "-tls1_1 -cipher DEFAULT@SECLEVEL=0").status, 0);
  EXPECT_NE(run_command(connect + "-tls1 -cipher DEFAULT@SECLEVEL=0").status, 0);
  // TLS 1.2 without forward secrecy or with CBC is refused; ECDHE with AES-GCM is offered.
  EXPECT_NE(run_command(connect + "-tls1_2 -cipher AES128-SHA:AES256-GCM-SHA384").status, 0);
  EXPECT_NE(run_command(connect + "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA").status, 0);
  EXPECT_EQ(run_command(connect + "-tls1_2 -cipher ECDHE+AESGCM").status, 0);
  const auto verified = run_command(connect + "-tls1_3 -verify_return_error");
  EXPECT_NE(verified.output.find("Verify return code: 0 (ok)"), std::string::npos) << verified.output;
}

}  // namespace
}  // namespace signet::test
