// People's sign-in to the dashboard against the real binary: a session
// from a token (its cookie's attributes, CSRF on every state-changing call,
// sign-out, the idle timeout, a revoked token ending its sessions, every
// action audited as the person) and OpenID Connect through the stand-in
// provider (tests/doubles/oidc): the code flow with PKCE, groups mapped to
// roles and a tenant, and every bad ID token refused (bad signature, wrong
// audience, expired, replayed nonce, unknown key, alg none) along with a
// callback that did not start in this browser.
#include <gtest/gtest.h>

#include <thread>

#include <encoding/url.hpp>

#include "e2e_helpers.hpp"
#include "services/http_client.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

struct Answer {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  json data() const { return json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
  std::string code() const { return data().value("error", json::object()).value("code", ""); }
};

// One request with the given headers (a browser's Cookie and X-CSRF-Token).
Answer send(const std::string& method, const std::string& url, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers, const std::string& ca_file) {
  static signet::host::CurlHttpClient client;
  signet::HttpRequest request{method, url, headers, body, {}};
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.options.ca_file = ca_file;
  auto r = client.send(request);
  EXPECT_TRUE(r) << method << " " << url << ": " << (r ? "" : r.error().message);
  if (!r) return {};
  return {r->status, r->body, r->headers};
}

// "signet_session=…; Path=/; …" → the value.
std::string cookie_of(const std::string& set_cookie, const std::string& name) {
  if (set_cookie.rfind(name + "=", 0) != 0) return "";
  return set_cookie.substr(name.size() + 1, set_cookie.find(';') - name.size() - 1);
}

class TokenSessions : public ::testing::Test {
 protected:
  Answer call(const std::string& method, const std::string& path, const std::string& body = "", const std::string& cookie = "",
              const std::string& csrf = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!cookie.empty()) headers.emplace_back("Cookie", "theme=dark; signet_session=" + cookie);
    if (!csrf.empty()) headers.emplace_back("X-CSRF-Token", csrf);
    return send(method, host_.url() + path, body, headers, host_.ca_file());
  }
  // A session from `token`: its cookie and CSRF token.
  std::pair<std::string, std::string> sign_in(const std::string& token) {
    const Answer opened = call("POST", "/v1/session", json{{"token", token}}.dump());
    EXPECT_EQ(opened.status, 201) << opened.body;
    return {cookie_of(opened.header("set-cookie"), "signet_session"), opened.data().value("csrf", "")};
  }
  // `tenant=_none`: what happened before anyone was known (failed sign-ins).
  json audit(const std::string& action, const std::string& tenant = "") {
    auto r = http("GET", host_.url() + "/v1/audit?action=" + action + (tenant.empty() ? "" : "&tenant=" + tenant), "",
                  host_.admin_token(), host_.ca_file());
    return r ? json_of(r.value()).value("items", json::array()) : json::array();
  }

  DevHost host_{{"--test-clock"}};
};

TEST_F(TokenSessions, ATokenOpensASessionWhoseCallsNeedTheCsrfToken) {
  ASSERT_TRUE(host_.started()) << host_.log();
  const Answer opened = call("POST", "/v1/session", json{{"token", host_.admin_token()}}.dump());
  ASSERT_EQ(opened.status, 201) << opened.body;
  const std::string set_cookie = opened.header("set-cookie");
  for (const char* attribute : {"; Path=/", "; Secure", "; HttpOnly", "; SameSite=Strict", "; Max-Age="})
    EXPECT_NE(set_cookie.find(attribute), std::string::npos) << attribute << " in " << set_cookie;
  const std::string cookie = cookie_of(set_cookie, "signet_session");
  const std::string csrf = opened.data().value("csrf", "");
  ASSERT_GE(cookie.size(), 40u);
  EXPECT_EQ(opened.data()["user"]["can"]["cert:revoke"], "all");
  EXPECT_EQ(opened.body.find(host_.admin_token()), std::string::npos) << "the token is never echoed";

  const Answer me = call("GET", "/v1/session", "", cookie);
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.data().value("csrf", ""), csrf);
  EXPECT_EQ(call("GET", "/v1/certificates", "", cookie).status, 200);

  const std::string issue = R"({"common_name":"web.test","dns_names":["web.test"],"key":{"type":"ecdsa","curve":"P-256"}})";
  const Answer forged = call("POST", "/v1/certificates", issue, cookie);
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(forged.code(), "csrf_failed");
  EXPECT_EQ(call("POST", "/v1/certificates", issue, cookie, std::string(csrf.size(), 'a')).code(), "csrf_failed");
  const Answer issued = call("POST", "/v1/certificates", issue, cookie, csrf);
  ASSERT_EQ(issued.status, 201) << issued.body;

  // Audited as whoever holds the token, through a session.
  const json logins = audit("session.login");
  ASSERT_FALSE(logins.empty());
  EXPECT_EQ(logins[0].value("outcome", ""), "success");
  EXPECT_EQ(logins[0].value("auth", ""), "session:token");
  bool found = false;
  for (const auto& record : audit("certificate.issue"))
    if (record.value("object", "") == issued.data().value("id", "")) {
      found = true;
      EXPECT_EQ(record.value("auth", ""), "session:token") << record.dump();
      EXPECT_EQ(record.value("principal", ""), logins[0].value("principal", "")) << record.dump();
    }
  EXPECT_TRUE(found);
}

// Another site's page can make the browser send the cookie; its Origin
// header gives it away, on a WebSocket handshake as on any call.
TEST_F(TokenSessions, ACookieSentFromAnotherOriginsPageIsRefused) {
  ASSERT_TRUE(host_.started()) << host_.log();
  const auto [cookie, csrf] = sign_in(host_.admin_token());
  auto with_origin = [&](const std::string& path, const std::string& origin, bool websocket) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", "signet_session=" + cookie}, {"Origin", origin}};
    if (websocket)
      headers.insert(headers.end(), {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Version", "13"},
                                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
    return send("GET", host_.url() + path, "", headers, host_.ca_file());
  };
  for (const std::string origin : {"https://evil.example", "https://127.0.0.1.evil.example", "null", "http://127.0.0.1"}) {
    const Answer refused = with_origin("/v1/session", origin, false);
    EXPECT_EQ(refused.status, 403) << origin << ": " << refused.body;
    EXPECT_EQ(refused.code(), "csrf_failed") << origin;
    const Answer socket = with_origin("/v1/events/ws", origin, true);
    EXPECT_EQ(socket.status, 403) << origin << ": the WebSocket is not opened: " << socket.body;
  }
  EXPECT_EQ(with_origin("/v1/session", host_.url(), false).status, 200) << "this origin's own page";
  // A token is not sent by browsers on their own: its calls are not judged by Origin.
  auto by_token = http("GET", host_.url() + "/v1/certificates", "", host_.admin_token(), host_.ca_file());
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->status, 200);
}

TEST_F(TokenSessions, BadSignInsAreRefusedAndAudited) {
  ASSERT_TRUE(host_.started()) << host_.log();
  const Answer wrong = call("POST", "/v1/session", R"({"token":"sgt_not-a-token"})");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_TRUE(wrong.header("set-cookie").empty());
  EXPECT_EQ(call("POST", "/v1/session", R"({"token":42})").status, 400);
  EXPECT_EQ(call("POST", "/v1/session", "not json").status, 400);
  EXPECT_EQ(call("GET", "/v1/session").status, 401);
  EXPECT_EQ(call("GET", "/v1/session", "", "made-up-cookie").status, 401);
  EXPECT_EQ(call("GET", "/v1/certificates", "", "made-up-cookie").status, 401);
  const json failures = audit("session.login", "_none");
  ASSERT_FALSE(failures.empty());
  EXPECT_EQ(failures[0].value("outcome", ""), "failure");
  const Answer options = call("GET", "/v1/session/options");
  EXPECT_EQ(options.data()["token"], true);
  EXPECT_TRUE(options.data()["oidc"].is_null());
}

TEST_F(TokenSessions, SignOutIdlenessAndARevokedTokenEndTheSession) {
  ASSERT_TRUE(host_.started()) << host_.log();
  auto [cookie, csrf] = sign_in(host_.admin_token());
  EXPECT_EQ(call("DELETE", "/v1/session", "", cookie).code(), "csrf_failed");
  const Answer out = call("DELETE", "/v1/session", "", cookie, csrf);
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(call("GET", "/v1/session", "", cookie).status, 401);
  EXPECT_EQ(call("GET", "/v1/certificates", "", cookie).status, 401);

  // A token's sessions end when it is revoked.
  auto made = http("POST", host_.url() + "/v1/tokens", R"({"roles":["auditor"]})", host_.admin_token(), host_.ca_file());
  ASSERT_TRUE(made);
  const json token = json_of(made.value());
  auto [auditor_cookie, auditor_csrf] = sign_in(token.value("token", ""));
  EXPECT_EQ(call("GET", "/v1/certificates", "", auditor_cookie).status, 200);
  EXPECT_EQ(call("POST", "/v1/certificates/crt_none/revoke", R"({"reason":"superseded"})", auditor_cookie, auditor_csrf).status, 403)
      << "an auditor may not revoke, session or not";
  ASSERT_TRUE(http("DELETE", host_.url() + "/v1/tokens/" + token.value("id", ""), "", host_.admin_token(), host_.ca_file()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the session cache's second
  EXPECT_EQ(call("GET", "/v1/certificates", "", auditor_cookie).status, 401);

  // Thirty minutes without a request: the session has ended.
  auto [idle_cookie, idle_csrf] = sign_in(host_.admin_token());
  EXPECT_EQ(call("GET", "/v1/session", "", idle_cookie).status, 200);
  ASSERT_TRUE(http("POST", host_.url() + "/v1/test/clock", R"({"advance":"31m","run":false})", host_.admin_token(), host_.ca_file()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(call("GET", "/v1/session", "", idle_cookie).status, 401);
}

// The OpenID Connect stand-in, started for one test.
class OidcProvider {
 public:
  OidcProvider() {
    run_command("/usr/bin/python3 " + std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/oidc/oidc_double.py --dir " +
                dir_.path() + " >" + dir_.file("out") + " 2>" + dir_.file("log") + " & echo $! > " + dir_.file("pid"));
    for (int i = 0; i < 100 && trimmed(read_file(dir_.file("port"))).empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ~OidcProvider() {
    if (const std::string pid = trimmed(read_file(dir_.file("pid"))); !pid.empty()) run_command("kill " + pid + " 2>/dev/null");
  }
  std::string url() const { return "http://127.0.0.1:" + trimmed(read_file(dir_.file("port"))); }
  json control(const std::string& path, const json& body) const {
    auto r = http("POST", url() + path, body.dump());
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  std::string log() const { return read_file(dir_.file("log")); }
  bool started() const { return !trimmed(read_file(dir_.file("port"))).empty(); }

 private:
  TempDir dir_;
};

class OidcSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(idp_.started()) << idp_.log();
    const std::string config = host_config(dir_, "tenants:\n  acme: {}\n"
                                                 "ui:\n"
                                                 "  oidc:\n"
                                                 "    issuer: " + idp_.url() + "\n"
                                                 "    client_id: signet\n"
                                                 "    client_secret: 'a s3cret:with&odd=chars'\n"
                                                 "    display_name: Example SSO\n"
                                                 "    groups:\n"
                                                 "      pki-operators: {roles: [cert_manager], tenant: acme}\n"
                                                 "      auditors: {roles: [auditor], tenant: acme}\n"
                                                 "      platform: {roles: [pki_super_admin]}\n");
    host_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", dir_.write("host.yaml", config)},
                                            dir_.file("host.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
    idp_.control("/_double/clients", {{"client_id", "signet"}, {"client_secret", "a s3cret:with&odd=chars"},
                                      {"redirect_uris", {host_->url() + "/v1/session/oidc/callback"}}});
  }
  // Follows the sign-in as a browser would, without running the pages'
  // scripts: the login answer, the provider, the callback with the state
  // cookie. The callback's answer.
  Answer sign_in(const json& person, const json& fault = nullptr) {
    if (!fault.is_null()) idp_.control("/_double/faults", json::array({fault}));
    idp_.control("/_double/next_login", person);
    const Answer start = send("GET", host_->url() + "/v1/session/oidc/login?return_to=/ui/inventory", "", {}, ca());
    EXPECT_EQ(start.status, 302) << start.body;
    const std::string state_cookie = cookie_of(start.header("set-cookie"), "signet_oidc_state");
    EXPECT_NE(start.header("set-cookie").find("SameSite=Lax"), std::string::npos);
    const Answer provider = send("GET", start.header("location"), "", {}, "");
    EXPECT_EQ(provider.status, 302) << provider.body;
    return send("GET", provider.header("location"), "", {{"Cookie", "signet_oidc_state=" + state_cookie}}, ca());
  }
  std::string ca() const { return dir_.file("data/ca.pem"); }
  json me(const Answer& callback) {
    const std::string cookie = cookie_of(callback.header("set-cookie"), "signet_session");
    return send("GET", host_->url() + "/v1/session", "", {{"Cookie", "signet_session=" + cookie}}, ca()).data();
  }

  OidcProvider idp_;
  TempDir dir_;
  std::unique_ptr<SignetProcess> host_;
};

TEST_F(OidcSessions, ThePersonSignsInWithTheRolesOfTheirGroups) {
  const Answer callback = sign_in({{"sub", "u-1001"}, {"email", "alice@example.com"}, {"groups", {"pki-operators", "other"}}});
  ASSERT_EQ(callback.status, 200) << callback.body;
  EXPECT_NE(callback.body.find("url=/ui/inventory"), std::string::npos) << callback.body;
  EXPECT_NE(callback.header("content-security-policy").find("default-src 'none'"), std::string::npos);
  const json user = me(callback)["user"];
  EXPECT_EQ(user["name"], "alice@example.com");
  EXPECT_EQ(user["tenant"], "acme");
  EXPECT_EQ(user["roles"], json::array({"cert_manager"}));
  EXPECT_EQ(user["auth"], "session:oidc");
  EXPECT_EQ(user["can"]["cert:revoke"], "all");
  EXPECT_EQ(user["can"]["audit:read"], "none");

  const json auditor = me(sign_in({{"sub", "u-1002"}, {"email", "bob@example.com"}, {"groups", "auditors"}}))["user"];
  EXPECT_EQ(auditor["roles"], json::array({"auditor"}));
  EXPECT_EQ(auditor["can"]["cert:revoke"], "none");

  const Answer nobody = sign_in({{"sub", "u-1003"}, {"email", "eve@example.com"}, {"groups", {"contractors"}}});
  EXPECT_EQ(nobody.status, 403);
  EXPECT_TRUE(cookie_of(nobody.header("set-cookie"), "signet_session").empty());
  EXPECT_NE(nobody.body.find("none of eve@example.com"), std::string::npos) << nobody.body;
  const Answer two_tenants = sign_in({{"sub", "u-1004"}, {"email", "mallory@example.com"}, {"groups", {"auditors", "platform"}}});
  EXPECT_EQ(two_tenants.status, 403) << two_tenants.body;
}

TEST_F(OidcSessions, EveryBadIdTokenIsRefused) {
  const json person = {{"sub", "u-2001"}, {"email", "carol@example.com"}, {"groups", {"platform"}}};
  ASSERT_EQ(sign_in(person).status, 200) << host_->log();
  for (const char* kind : {"bad_signature", "wrong_audience", "wrong_issuer", "expired", "replay_nonce", "no_nonce",
                           "unknown_kid", "alg_none", "future_iat"}) {
    const Answer refused = sign_in(person, {{"kind", kind}});
    EXPECT_EQ(refused.status, 403) << kind << ": " << refused.body;
    EXPECT_TRUE(cookie_of(refused.header("set-cookie"), "signet_session").empty()) << kind;
  }
  // Rotated keys: a token signed with the new key verifies (the JWKS is
  // fetched again, at most once a second; unknown_kid fetched it just now).
  idp_.control("/_double/rotate", json::object());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(sign_in(person).status, 200) << "after a key rotation";
}

TEST_F(OidcSessions, ACallbackThatDidNotStartInThisBrowserIsRefused) {
  idp_.control("/_double/next_login", {{"sub", "u-3001"}, {"email", "dan@example.com"}, {"groups", {"platform"}}});
  const Answer start = send("GET", host_->url() + "/v1/session/oidc/login", "", {}, ca());
  const Answer provider = send("GET", start.header("location"), "", {}, "");
  // No state cookie: someone else's sign-in link, opened in this browser.
  const Answer stolen = send("GET", provider.header("location"), "", {}, ca());
  EXPECT_EQ(stolen.status, 403) << stolen.body;
  // With the cookie it works, once: the state is spent.
  const std::string state_cookie = cookie_of(start.header("set-cookie"), "signet_oidc_state");
  const Answer proper = send("GET", provider.header("location"), "", {{"Cookie", "signet_oidc_state=" + state_cookie}}, ca());
  EXPECT_EQ(proper.status, 200) << proper.body;
  const Answer replayed = send("GET", provider.header("location"), "", {{"Cookie", "signet_oidc_state=" + state_cookie}}, ca());
  EXPECT_EQ(replayed.status, 403) << replayed.body;
  // Refused by the person at the provider.
  idp_.control("/_double/next_login", {{"deny", true}});
  const Answer denied_start = send("GET", host_->url() + "/v1/session/oidc/login", "", {}, ca());
  const Answer denied = send("GET", send("GET", denied_start.header("location"), "", {}, "").header("location"), "",
                             {{"Cookie", "signet_oidc_state=" + cookie_of(denied_start.header("set-cookie"), "signet_oidc_state")}}, ca());
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("access_denied"), std::string::npos) << denied.body;
  // Only this dashboard's pages are places to return to.
  const Answer elsewhere = send("GET", host_->url() + "/v1/session/oidc/login?return_to=https://evil.example/", "", {}, ca());
  EXPECT_EQ(elsewhere.status, 302);
}

}  // namespace
}  // namespace signet::test
