// ca-keyfactor through the real signet binary, against the Keyfactor
// Command and EJBCA stand-ins (tests/doubles/keyfactor; neither product is
// reachable here): issuance verified with OpenSSL against the chain; an
// enrolment waiting for approval answered 202, approved in the stand-in
// and delivered, with exactly one enrolment across a SIGKILL of the host;
// revocation (EJBCA's 409 for an already revoked certificate is success)
// with an issuer DN holding ", " and "=" encoded right; one OAuth token
// over 50 requests; the servers' errors carried verbatim.
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A stand-in of tests/doubles/keyfactor, in a directory of its own, stopped with the test.
class KeyfactorDouble {
 public:
  KeyfactorDouble(const std::string& script, const std::string& options) {
    run_command("/usr/bin/python3 " + std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/doubles/keyfactor/" + script +
                " --dir " + dir_.path() + " " + options + " >" + dir_.file("server.out") + " 2>" +
                dir_.file("server.log") + " & echo $! > " + dir_.file("pid"));
    for (int i = 0; i < 150 && trimmed(read_file(dir_.file("port"))).empty(); ++i) std::this_thread::sleep_for(100ms);
    started_ = !trimmed(read_file(dir_.file("port"))).empty();
  }
  ~KeyfactorDouble() {
    const std::string pid = trimmed(read_file(dir_.file("pid")));
    if (!pid.empty()) run_command("kill " + pid + " 2>/dev/null");
  }
  bool started() const { return started_; }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string log() const { return read_file(dir_.file("server.log")); }
  std::string url(const std::string& scheme) const { return scheme + "://127.0.0.1:" + trimmed(read_file(dir_.file("port"))); }
  // The controls, over plain curl (the EJBCA one answers them without a client certificate).
  json control(const std::string& scheme, const std::string& method, const std::string& path, const json& body = nullptr) const {
    const std::string trust = scheme == "https" ? " --cacert " + dir_.file("tls-ca.pem") : "";
    const auto r = run_command("curl -s -X " + method + trust + " -H 'Content-Type: application/json' " +
                               (body.is_null() ? "" : "--data-binary '" + body.dump() + "' ") + url(scheme) + path);
    return json::parse(r.output, nullptr, false);
  }

 private:
  TempDir dir_;
  bool started_ = false;
};

// The host with one ca-keyfactor instance `kf`, its config lines given (6 spaces in).
class KeyfactorHost {
 public:
  KeyfactorHost(const TempDir& dir, const std::string& ca_config)
      : dir_(dir),
        config_(dir.write("signet.yaml", host_config(dir, "plugins:\n  directories: [" SIGNET_TEST_PLUGIN_DIR "]\n"
                                                          "  ca:\n    kf:\n      plugin: ca-keyfactor\n      config:\n" +
                                                              ca_config + "pipelines:\n  issue: {validate: [profile-policy], sign: kf}\n"
                                                              "  revoke: {}\n"))),
        token_(bootstrap_token(dir, config_)) {
    start();
  }
  void start() {
    process_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_},
                                               dir_.file("host" + std::to_string(++starts_) + ".log"));
  }
  bool started() const { return process_->started(); }
  std::string log() const { return process_->log(); }
  void kill_hard() { process_->kill_hard(); }
  std::string token() const { return token_; }
  struct Answer {
    int status = 0;
    json body;
  };
  Answer call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, process_->url() + path, body.is_null() ? "" : body.dump(), token_, dir_.file("data/ca.pem"));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return {r->status, json_of(*r)};
  }
  Answer issue(const std::string& name) {
    return call("POST", "/v1/certificates", {{"common_name", name}, {"csr", make_csr(dir_, name, "DNS:" + name)}});
  }
  json finish(const std::string& request_id) {
    return wait_for_request(process_->url(), request_id, token_, dir_.file("data/ca.pem"), 60);
  }

 private:
  const TempDir& dir_;
  std::string config_, token_;
  int starts_ = 0;
  std::unique_ptr<SignetProcess> process_;
};

// openssl verify of an answer's certificate with the chain Signet answered
// (the issuing CA, no root) up to the root of the stand-in's chain file.
std::string verify_against(TempDir& dir, const json& answer, const std::string& chain_file) {
  const std::string certificate_pem = answer.value("certificate", "");
  const std::string leaf = dir.write("leaf-" + std::to_string(std::hash<std::string>{}(certificate_pem)) + ".pem", certificate_pem);
  std::string chain;
  for (const auto& pem : answer.value("chain", json::array())) chain += pem.get<std::string>();
  if (chain.find("BEGIN CERTIFICATE") == std::string::npos) return "Signet answered no chain: " + answer.dump();
  dir.write("answered-chain.pem", chain);
  run_command("awk '/BEGIN/{n++} n==2' " + chain_file + " > " + dir.file("root.pem"));
  if (contains(chain, read_file(dir.file("root.pem")))) return "the answered chain holds the root";
  const auto verified = run_command("openssl verify -CAfile " + dir.file("root.pem") + " -untrusted " + dir.file("answered-chain.pem") + " " + leaf);
  return verified.status == 0 ? "" : verified.output;
}

// The one item the stand-in lists at `path` under `key` once it shows (null after 5 s).
json first_listed(const KeyfactorDouble& kf, const std::string& path, const std::string& key) {
  for (int i = 0; i < 50; ++i) {
    const json listed = kf.control("https", "GET", path);
    if (listed.is_object() && listed.value(key, json::array()).size() == 1) return listed[key][0];
    std::this_thread::sleep_for(100ms);
  }
  return nullptr;
}

// An enrolment that waits for approval: 202; the host asks with its saved
// ticket, is SIGKILLed, the stand-in approves (`approve` of its waiting
// item), the restarted host delivers a certificate that verifies, and the
// stand-in counted exactly one enrolment.
void approved_across_a_sigkill(KeyfactorDouble& kf, KeyfactorHost& host, TempDir& dir, const std::string& list_path,
                               const std::string& list_key, const std::function<json(const json&)>& approve) {
  const auto waiting = host.issue("approved.example.com");
  ASSERT_EQ(waiting.status, 202) << waiting.body.dump() << host.log();
  const json item = first_listed(kf, list_path, list_key);
  ASSERT_TRUE(item.is_object()) << kf.control("https", "GET", list_path).dump();
  std::this_thread::sleep_for(1500ms);  // the host asked at least once with its saved ticket
  host.kill_hard();
  kf.control("https", "POST", "/_double/approve", approve(item));
  host.start();
  ASSERT_TRUE(host.started()) << host.log();
  const json done = host.finish(waiting.body.value("request_id", ""));
  ASSERT_EQ(done.value("status", ""), "succeeded") << done.dump() << host.log();
  const auto certificate = host.call("GET", "/v1/certificates/" + done.value("certificate_id", ""));
  EXPECT_EQ(verify_against(dir, certificate.body, kf.file("ca-chain.pem")), "");
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats").value("enrollments", 0), 1) << "one enrolment across the SIGKILL";
}

std::string command_config(const KeyfactorDouble& kf, const std::string& auth, const std::string& template_name) {
  return "        api: command\n"
         "        url: " + kf.url("https") + "\n"
         "        ca_file: " + kf.file("tls-ca.pem") + "\n" + auth +
         "        command: {certificate_authority: 'ca.corp.example\\CorpIssuingCA', template: " + template_name +
         ", metadata: {request_id: SignetRequestId}}\n"
         "        poll_interval_seconds: 1\n";
}
const char* const kBasic = "        auth: {type: basic, username: 'CORP\\signet', password: signet-password}\n";

TEST(KeyfactorCommand, IssuesRevokesAndCarriesErrorsVerbatim) {
  KeyfactorDouble kf("command_double.py", "--tls");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, command_config(kf, kBasic, "WebServer"));
  ASSERT_TRUE(host.started()) << host.log();
  const auto issued = host.issue("web.example.com");
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host.log();
  EXPECT_EQ(verify_against(dir, issued.body, kf.file("ca-chain.pem")), "");
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats").value("enrollments", 0), 1);
  // Revoked in Command: its certificate id found by serial, then revoked.
  const auto revoked = host.call("POST", "/v1/certificates/" + issued.body.value("id", "") + "/revoke", {{"reason", "key_compromise"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump() << host.log();
  bool revoked_there = false;
  for (const auto& c : kf.control("https", "GET", "/_double/certificates").value("certificates", json::array()))
    if (c.value("CertState", 0) == 2) revoked_there = true;
  EXPECT_TRUE(revoked_there) << kf.control("https", "GET", "/_double/certificates").dump();
  // A template Command does not know: its ErrorCode and Message in the refusal.
  TempDir other;
  KeyfactorHost wrong(other, command_config(kf, kBasic, "NoSuchTemplate"));
  ASSERT_TRUE(wrong.started()) << wrong.log();
  const auto refused = wrong.issue("wrong.example.com");
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  const std::string message = refused.body["error"].value("message", "");
  EXPECT_TRUE(contains(message, "0xA0110012") && contains(message, "NoSuchTemplate")) << message << kf.log();
}

TEST(KeyfactorCommand, AnApprovedEnrolmentArrivesWithOneEnrolmentAcrossASigkill) {
  KeyfactorDouble kf("command_double.py", "--tls");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, command_config(kf, kBasic, "WebServerApproval"));
  ASSERT_TRUE(host.started()) << host.log();
  approved_across_a_sigkill(kf, host, dir, "/_double/requests", "requests",
                            [](const json& request) { return json{{"request_id", request["request_id"]}}; });
}

TEST(KeyfactorCommand, AnOAuthTokenIsFetchedOncePerLifetimeOverFiftyRequests) {
  KeyfactorDouble kf("command_double.py", "--tls --token-ttl 3600");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  const std::string oauth = "        auth: {type: oauth, token_url: '" + kf.url("https") +
                            "/oauth2/token', client_id: signet-client, client_secret: signet-secret, ca_file: " +
                            kf.file("tls-ca.pem") + "}\n";
  KeyfactorHost host(dir, command_config(kf, oauth, "WebServer"));
  ASSERT_TRUE(host.started()) << host.log();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(host.issue("n" + std::to_string(i) + ".example.com").status, 201) << host.log();
  const json stats = kf.control("https", "GET", "/_double/stats");
  EXPECT_EQ(stats.value("enrollments", 0), 50);
  EXPECT_EQ(stats.value("token_grants", 0), 1) << stats.dump();
  // A token Command stops taking: one fresh token, and the call goes through.
  kf.control("https", "POST", "/_double/expire-tokens", json::object());
  ASSERT_EQ(host.issue("after.example.com").status, 201) << host.log();
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats").value("token_grants", 0), 2);
}

std::string ejbca_config(const KeyfactorDouble& kf, const std::string& certificate_profile) {
  return "        api: ejbca\n"
         "        url: " + kf.url("https") + "\n"
         "        ca_file: " + kf.file("tls-ca.pem") + "\n"
         "        client_cert_file: " + kf.file("client.pem") + "\n"
         "        client_key_file: " + kf.file("client.key") + "\n"
         "        auth: {type: client_certificate}\n"
         "        ejbca: {ca_name: Signet Test CA, certificate_profile: " + certificate_profile + ", end_entity_profile: SIGNET_EE}\n"
         "        poll_interval_seconds: 1\n";
}

// The same with an OAuth bearer token instead of the client certificate.
std::string ejbca_oauth_config(const KeyfactorDouble& kf, const std::string& certificate_profile) {
  return "        api: ejbca\n"
         "        url: " + kf.url("https") + "\n"
         "        ca_file: " + kf.file("tls-ca.pem") + "\n"
         "        auth: {type: oauth, token_url: '" + kf.url("https") + "/oauth2/token', client_id: signet-client, "
         "client_secret: signet-secret, ca_file: " + kf.file("tls-ca.pem") + "}\n"
         "        ejbca: {ca_name: Signet Test CA, certificate_profile: " + certificate_profile + ", end_entity_profile: SIGNET_EE}\n"
         "        poll_interval_seconds: 1\n";
}

TEST(KeyfactorEjbca, IssuesOverMutualTlsAndARevocationEjbcaHasAlreadyMadeIsDone) {
  KeyfactorDouble kf("ejbca_double.py", "");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, ejbca_config(kf, "SERVER"));
  ASSERT_TRUE(host.started()) << host.log();
  const auto issued = host.issue("mtls.example.com");
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host.log();
  EXPECT_EQ(verify_against(dir, issued.body, kf.file("ca-chain.pem")), "");
  const std::string issuer_dn = trimmed(read_file(kf.file("issuer-dn.txt")));
  ASSERT_TRUE(contains(issuer_dn, ", ") && contains(issuer_dn, "\\=")) << issuer_dn;
  // Revoked through Signet: the path names the issuer DN percent-encoded (a wrong one is a bare 400).
  const auto revoked = host.call("POST", "/v1/certificates/" + issued.body.value("id", "") + "/revoke", {{"reason", "superseded"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump() << host.log() << kf.log();
  const std::string serial = issued.body.value("serial_number", "");
  const std::string status_url = kf.url("https") + "/ejbca/ejbca-rest-api/v1/certificate/" +
                                 run_command("/usr/bin/python3 -c 'import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1], safe=\"\"))' '" +
                                             issuer_dn + "'").output;
  auto status_of = [&](const std::string& s) {
    return json::parse(run_command("curl -s --cacert " + kf.file("tls-ca.pem") + " --cert " + kf.file("client.pem") + " --key " +
                                   kf.file("client.key") + " '" + trimmed(status_url) + "/" + s + "/revocationstatus'").output,
                       nullptr, false);
  };
  EXPECT_TRUE(status_of(serial).value("revoked", false)) << status_of(serial).dump();
  // A second certificate revoked in EJBCA first: Signet's revocation meets 409 and is done.
  const auto second = host.issue("second.example.com");
  ASSERT_EQ(second.status, 201) << second.body.dump();
  const std::string second_serial = second.body.value("serial_number", "");
  const auto first_hand = run_command("curl -s -o /dev/null -w '%{http_code}' -X PUT --cacert " + kf.file("tls-ca.pem") + " --cert " +
                                      kf.file("client.pem") + " --key " + kf.file("client.key") + " '" + trimmed(status_url) +
                                      "/" + second_serial + "/revoke?reason=KEY_COMPROMISE'");
  ASSERT_EQ(first_hand.output, "200");
  const auto again = host.call("POST", "/v1/certificates/" + second.body.value("id", "") + "/revoke", {{"reason", "key_compromise"}});
  EXPECT_EQ(again.status, 200) << again.body.dump() << host.log();
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats")["statuses"].value("409", 0), 1);
}

TEST(KeyfactorEjbca, AnApprovalIsFinalizedWithOneEnrolmentAcrossASigkillAndErrorsAreVerbatim) {
  KeyfactorDouble kf("ejbca_double.py", "");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, ejbca_config(kf, "SERVER_APPROVAL"));
  ASSERT_TRUE(host.started()) << host.log();
  approved_across_a_sigkill(kf, host, dir, "/_double/approvals", "approvals",
                            [](const json& approval) { return json{{"id", approval["id"]}}; });
  if (HasFatalFailure()) return;

  // A name EJBCA refuses (422): its error_message verbatim in the refusal.
  TempDir other;
  KeyfactorHost plain(other, ejbca_config(kf, "SERVER"));
  ASSERT_TRUE(plain.started()) << plain.log();
  const auto refused = plain.issue("forbidden.example.com");
  EXPECT_EQ(refused.status, 400) << refused.body.dump();
  EXPECT_TRUE(contains(refused.body["error"].value("message", ""), "HTTP 422")) << refused.body.dump();
  // The CA offline (503): retried, and issued once it is back.
  kf.control("https", "POST", "/_double/offline", {{"on", true}});
  const auto offline = plain.issue("offline.example.com");
  ASSERT_EQ(offline.status, 202) << offline.body.dump();
  std::this_thread::sleep_for(1500ms);
  kf.control("https", "POST", "/_double/offline", {{"on", false}});
  EXPECT_EQ(plain.finish(offline.body.value("request_id", "")).value("status", ""), "succeeded") << plain.log();
}

TEST(KeyfactorEjbca, AnOAuthBearerTokenStandsInForTheClientCertificate) {
  KeyfactorDouble kf("ejbca_double.py", "--oauth --token-ttl 3600");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, ejbca_oauth_config(kf, "SERVER"));
  ASSERT_TRUE(host.started()) << host.log();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(host.issue("bearer" + std::to_string(i) + ".example.com").status, 201) << host.log();
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats").value("token_grants", 0), 1);
}

TEST(KeyfactorCommand, AnEnrolmentWhoseAnswerIsLostIsFoundAgainNotEnrolledTwice) {
  KeyfactorDouble kf("command_double.py", "--tls");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, command_config(kf, kBasic, "WebServer"));
  ASSERT_TRUE(host.started()) << host.log();
  // Command issues, then the connection drops before its answer: the host retries the step.
  kf.control("https", "POST", "/_double/faults", {{"path_prefix", "Enrollment/CSR"}, {"lost", true}, {"count", 1}});
  const auto issued = host.issue("lost.example.com");
  ASSERT_TRUE(issued.status == 201 || issued.status == 202) << issued.body.dump();
  const json done = issued.status == 201 ? json{{"status", "succeeded"}} : host.finish(issued.body.value("request_id", ""));
  EXPECT_EQ(done.value("status", ""), "succeeded") << done.dump() << host.log();
  EXPECT_EQ(kf.control("https", "GET", "/_double/stats").value("enrollments", 0), 1) << "found by SignetRequestId, not enrolled again";
}

TEST(KeyfactorEjbca, AFinalizeWhoseAnswerIsLostAndARefusedTokenAreRecovered) {
  KeyfactorDouble kf("ejbca_double.py", "--oauth --token-ttl 3600");
  ASSERT_TRUE(kf.started()) << kf.log();
  TempDir dir;
  KeyfactorHost host(dir, ejbca_oauth_config(kf, "SERVER_APPROVAL"));
  ASSERT_TRUE(host.started()) << host.log();
  const auto waiting = host.issue("lostfinal.example.com");
  ASSERT_EQ(waiting.status, 202) << waiting.body.dump() << host.log();
  const json approval = first_listed(kf, "/_double/approvals", "approvals");
  ASSERT_TRUE(approval.is_object());
  // The next finalize is carried out and its answer lost; tokens are refused (403) from now on.
  kf.control("https", "POST", "/_double/faults", {{"path_prefix", "certificate/"}, {"lost", true}, {"count", 1}, {"method", "POST"}});
  kf.control("https", "POST", "/_double/expire-tokens", json::object());
  kf.control("https", "POST", "/_double/approve", {{"id", approval["id"]}});
  const json done = host.finish(waiting.body.value("request_id", ""));
  ASSERT_EQ(done.value("status", ""), "succeeded") << done.dump() << host.log() << kf.log();
  const auto certificate = host.call("GET", "/v1/certificates/" + done.value("certificate_id", ""));
  EXPECT_EQ(verify_against(dir, certificate.body, kf.file("ca-chain.pem")), "");
  const json stats = kf.control("https", "GET", "/_double/stats");
  EXPECT_EQ(stats.value("enrollments", 0), 1) << stats.dump();
  EXPECT_EQ(stats.value("token_grants", 0), 2) << "one fresh token after the 403, not one per call";
}

}  // namespace
}  // namespace signet::test
