// Applications that authenticate with the certificate Signet gave them
// (spiffe://<tenant>/<service>): they fetch and renew their own
// certificates over mTLS with no token, and nothing else. curl is the client.
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class Mtls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new DevHost();
    ASSERT_TRUE(host_->started()) << host_->log();
    admin_ = new std::string(host_->admin_token());
    ASSERT_EQ(admin_call("POST", "/v1/tenants", {{"slug", "beta"}}).first, 201);
  }
  static void TearDownTestSuite() {
    delete host_;
    delete admin_;
  }

  static std::pair<int, json> admin_call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host_->url() + path, body.is_null() ? "" : body.dump(), *admin_, host_->ca_file());
    if (!r) return {-1, json()};
    return {r.value().status, json::parse(r.value().body, nullptr, false)};
  }

  // A certificate for `service` in `tenant`, issued by an admin; its cert and key go to <name>.crt/.key.
  static std::string enrol(const std::string& name, const std::string& tenant, const std::string& service,
                           const std::string& ttl = "24h") {
    const json body = {{"common_name", service + ".test"},
                       {"ttl", ttl},
                       {"sans", {{"dns", {service + ".test"}}, {"uri", {"spiffe://" + tenant + "/" + service}}}},
                       {"service", service},
                       {"key", {{"type", "ecdsa"}}}};
    const auto [status, issued] = admin_call("POST", "/v1/certificates?tenant=" + tenant, body);
    EXPECT_EQ(status, 201) << issued;
    host_->dir().write(name + ".crt", issued.value("certificate", ""));
    host_->dir().write(name + ".key", issued.value("private_key", ""));
    return issued.value("id", "");
  }

  // One request with curl and a client certificate (or none).
  static std::pair<int, json> as(const std::string& name, const std::string& method, const std::string& path,
                                 const json& body = nullptr) {
    std::string command = "curl -s -w '\\n%{http_code}' --cacert " + host_->ca_file() + " -X " + method;
    if (!name.empty()) command += " --cert " + host_->dir().file(name + ".crt") + " --key " + host_->dir().file(name + ".key");
    if (!body.is_null()) command += " -H 'Content-Type: application/json' --data-binary '" + body.dump() + "'";
    const auto result = run_command(command + " '" + host_->url() + path + "'");
    const std::size_t newline = result.output.rfind('\n');
    if (newline == std::string::npos) return {-1, json()};
    return {std::stoi(result.output.substr(newline + 1)), json::parse(result.output.substr(0, newline), nullptr, false)};
  }
  static std::string code_of(const json& answer) { return answer.value("error", json::object()).value("code", ""); }
  static std::string message_of(const json& answer) { return answer.value("error", json::object()).value("message", ""); }

  static DevHost* host_;
  static std::string* admin_;
};
DevHost* Mtls::host_ = nullptr;
std::string* Mtls::admin_ = nullptr;

TEST_F(Mtls, AnApplicationFetchesAndRenewsOnlyItsOwnCertificates) {
  const std::string own = enrol("checkout", "default", "checkout");
  const std::string other_service = enrol("billing", "default", "billing");
  const std::string other_tenant = enrol("beta-checkout", "beta", "checkout");

  EXPECT_EQ(as("checkout", "GET", "/v1/certificates/" + own).first, 200);
  const auto [bundle_status, bundle] = as("checkout", "GET", "/v1/certificates/" + own + "/bundle");
  EXPECT_EQ(bundle_status, 200);
  EXPECT_NE(bundle.value("private_key", "").find("PRIVATE KEY"), std::string::npos);
  const auto [renew_status, renewed] = as("checkout", "POST", "/v1/certificates/" + own + "/renew");
  EXPECT_EQ(renew_status, 201) << renewed;
  const auto [list_status, listed] = as("checkout", "GET", "/v1/certificates");
  ASSERT_EQ(list_status, 200);
  EXPECT_EQ(listed["items"].size(), 2u) << listed;  // its certificate and the renewal, nothing else

  for (const auto& id : {other_service, other_tenant}) {
    EXPECT_EQ(as("checkout", "GET", "/v1/certificates/" + id).first, 404);
    EXPECT_EQ(as("checkout", "GET", "/v1/certificates/" + id + "/bundle").first, 404);
    EXPECT_EQ(as("checkout", "POST", "/v1/certificates/" + id + "/renew").first, 404);
  }
  // An application cannot mint another service's identity, make tokens or revoke.
  const auto [mint_status, mint] = as("checkout", "POST", "/v1/certificates",
      {{"common_name", "x.test"}, {"sans", {{"uri", {"spiffe://default/billing"}}}}, {"key", {{"type", "ecdsa"}}}});
  EXPECT_EQ(mint_status, 403) << mint;
  EXPECT_EQ(as("checkout", "POST", "/v1/tokens", {{"roles", {"auditor"}}}).first, 403);
  EXPECT_EQ(as("checkout", "POST", "/v1/certificates/" + own + "/revoke", json::object()).first, 403);

  // What it did is audited under its SPIFFE id.
  const auto [audit_status, audit] = admin_call("GET", "/v1/audit?action=certificate.renew");
  ASSERT_EQ(audit_status, 200);
  ASSERT_FALSE(audit["items"].empty());
  EXPECT_EQ(audit["items"].back()["principal"], "spiffe://default/checkout");
  EXPECT_EQ(audit["items"].back()["auth"], "mtls");
}

TEST_F(Mtls, UntrustedRevokedAndMissingCertificatesAreRefused) {
  // A self-signed certificate with a plausible identity.
  const auto made = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=rogue"
                                " -addext subjectAltName=URI:spiffe://default/checkout -keyout " + host_->dir().file("rogue.key") +
                                " -out " + host_->dir().file("rogue.crt") + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.output;
  const auto [rogue_status, rogue] = as("rogue", "GET", "/v1/certificates");
  EXPECT_EQ(rogue_status, 401);
  EXPECT_NE(message_of(rogue).find("is not accepted"), std::string::npos) << rogue;

  const auto [bare_status, bare] = as("", "GET", "/v1/certificates");
  EXPECT_EQ(bare_status, 401);
  EXPECT_EQ(message_of(bare), "missing bearer token or client certificate");

  const std::string id = enrol("leaving", "default", "leaving");
  ASSERT_EQ(as("leaving", "GET", "/v1/certificates/" + id).first, 200);
  ASSERT_EQ(admin_call("POST", "/v1/certificates/" + id + "/revoke", {{"reason", "cessation_of_operation"}}).first, 200);
  std::pair<int, json> after{200, json()};
  for (int i = 0; i < 30 && after.first != 401; ++i) {  // a host may answer from its one-second cache
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = as("leaving", "GET", "/v1/certificates/" + id);
  }
  EXPECT_EQ(after.first, 401);
  EXPECT_EQ(message_of(after.second), "the client certificate is revoked");
}

// GnuTLS as a second, independent TLS client: the same identity, the same answers.
TEST_F(Mtls, GnuTlsClientsAuthenticateTheSameWay) {
  const std::string own = enrol("gnutls", "default", "gnutls");
  const std::string other = enrol("gnutls-other", "default", "gnutls-other");
  auto get = [&](const std::string& id) {
    const std::string request = "GET /v1/certificates/" + id + " HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n";
    return run_command("printf '" + request + "' | timeout 10 gnutls-cli --x509cafile " + host_->ca_file() +
                       " --x509certfile " + host_->dir().file("gnutls.crt") + " --x509keyfile " +
                       host_->dir().file("gnutls.key") + " -p " + std::to_string(host_->process().port()) +
                       " 127.0.0.1 2>&1").output;
  };
  EXPECT_NE(get(own).find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(get(other).find("HTTP/1.1 404 Not Found"), std::string::npos);
}

TEST_F(Mtls, AnExpiredCertificateIsRefusedWithTheReason) {
  const std::string id = enrol("brief", "default", "brief", "10s");  // the dev profile's shortest lifetime
  ASSERT_EQ(as("brief", "GET", "/v1/certificates/" + id).first, 200);
  std::pair<int, json> after{200, json()};
  for (int i = 0; i < 40 && after.first != 401; ++i) {  // bounded: the certificate ends within ~10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    after = as("brief", "GET", "/v1/certificates/" + id);
  }
  EXPECT_EQ(after.first, 401);
  EXPECT_EQ(message_of(after.second), "the client certificate is not accepted: certificate has expired");
}

}  // namespace
}  // namespace signet::test
