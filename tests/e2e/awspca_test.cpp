// ca-awspca through the real signet binary, against the AWS stand-in
// (tests/doubles/awspca/aws_double.py, which checks every signature with
// botocore's own code): issuance verified with OpenSSL, no second
// IssueCertificate after a SIGKILL, every revocation reason, the rate limit
// under 100 concurrent requests, and each credential source with refresh.
// AWS itself is never reached.
#include <algorithm>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "aws_double.hpp"
#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
// The process environment the host inherits: the stand-in's example keys
// unless a test says otherwise, never the developer's ~/.aws, never the
// real instance metadata address.
void isolate_aws_environment() {
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL",
                           "AWS_ENDPOINT_URL_ACM_PCA", "AWS_ENDPOINT_URL_STS"})
    ::unsetenv(name);
  ::setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  ::setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

// `credentials` YAML lines (8 spaces in) replace the example keys; "" keeps them.
std::string host_yaml(const TempDir& dir, const AwsDouble& aws, const std::string& extra_ca_config = "",
                      bool example_keys = true) {
  std::string ca = "        certificate_authority_arn: " + aws.arn() + "\n        endpoint_url: " + aws.url() +
                   "\n        sts_endpoint_url: " + aws.url() + "\n";
  if (example_keys)
    ca += "        credentials: {access_key_id: AKIDEXAMPLE, secret_access_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY}\n";
  return host_config(dir, "plugins:\n  ca:\n    pca:\n      plugin: ca-awspca\n      config:\n" +
                              ca + extra_ca_config +
                              "pipelines:\n  issue: {validate: [profile-policy], sign: pca}\n  revoke: {}\n");
}

class HostOnAws {
 public:
  HostOnAws(const TempDir& dir, const std::string& yaml)
      : config_(dir.write("signet.yaml", yaml)),
        token_(bootstrap_token(dir, config_)),
        process_(std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_}, dir.file("host.log"))),
        dir_(dir) {}
  bool started() const { return process_->started(); }
  std::string log() const { return process_->log(); }
  void kill_hard() { process_->kill_hard(); }
  void restart() {
    process_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_}, dir_.file("host2.log"));
  }
  signet::Result<signet::HttpResponse> call(const std::string& method, const std::string& path, const std::string& body = "") {
    return http(method, process_->url() + path, body, token_, dir_.file("data/ca.pem"));
  }
  // POSTs an issuance for `name`; the request id.
  std::string issue(const std::string& name) {
    const json body = {{"common_name", name}, {"csr", make_csr(dir_, name, "DNS:" + name)}};
    auto r = call("POST", "/v1/certificates", body.dump());
    if (!r || (r->status != 201 && r->status != 202)) {
      ADD_FAILURE() << "issuance answered " << (r ? std::to_string(r->status) + " " + r->body : r.error().message);
      return "";
    }
    return json_of(*r).value("request_id", "");
  }
  // The request's final JSON (bounded wait).
  json finish(const std::string& request_id, int seconds = 60) {
    return wait_for_request(process_->url(), request_id, token_, dir_.file("data/ca.pem"), seconds);
  }

 private:
  std::string config_;
  std::string token_;
  std::unique_ptr<SignetProcess> process_;
  const TempDir& dir_;
};

TEST(Awspca, IssuesThroughTheHostAndTheCertificateVerifiesWithItsChain) {
  isolate_aws_environment();
  AwsDouble aws;
  ASSERT_TRUE(aws.started()) << aws.log();
  TempDir dir;
  HostOnAws host(dir, host_yaml(dir, aws));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string request_id = host.issue("app.example.com");
  const json done = host.finish(request_id);
  ASSERT_EQ(done["status"], "succeeded") << done.dump() << host.log();
  auto cert = host.call("GET", "/v1/certificates/" + done["certificate_id"].get<std::string>());
  ASSERT_TRUE(cert && cert->status == 200);
  const json body = json_of(*cert);
  dir.write("leaf.pem", body["certificate"].get<std::string>());
  std::string chain;
  for (const auto& pem : body["chain"]) chain += pem.get<std::string>();
  dir.write("chain.pem", chain);
  const auto verified = run_command("openssl verify -CAfile " + aws.root() + " -untrusted " + dir.file("chain.pem") + " " +
                                    dir.file("leaf.pem"));
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_EQ(aws.stats()["issued"], 1);
  // The CA publishes its own status: the host points relying parties there.
  auto cas = host.call("GET", "/pki/cas");
  ASSERT_TRUE(cas && cas->status == 200);
  const json item = json_of(*cas)["items"][0];
  EXPECT_EQ(item.value("crl_url", ""), "http://crl.pca.example.com/crl/" + aws.arn().substr(aws.arn().rfind('/') + 1) + ".crl");
  EXPECT_EQ(item.value("ocsp_url", ""), "http://ocsp.pca.example.com");
}

TEST(Awspca, ASigkilledHostNeitherIssuesTwiceNorStrandsTheRequest) {
  isolate_aws_environment();
  AwsDouble aws;
  ASSERT_TRUE(aws.started()) << aws.log();
  TempDir dir;
  HostOnAws host(dir, host_yaml(dir, aws));
  ASSERT_TRUE(host.started()) << host.log();

  // While polling: the ARN is the saved ticket, so the restarted host polls it.
  aws.post("/_double/in-progress", {{"count", 4}});
  const std::string polled = host.issue("polled.example.com");
  for (int i = 0; i < 100 && aws.stats()["calls"].value("GetCertificate", 0) < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  host.kill_hard();
  host.restart();
  ASSERT_TRUE(host.started()) << host.log();
  EXPECT_EQ(host.finish(polled)["status"], "succeeded") << host.log();
  EXPECT_EQ(aws.stats()["calls"].value("IssueCertificate", 0), 1) << "a second IssueCertificate for the polled request";

  // While IssueCertificate is in flight: the host never learned the ARN, so
  // it asks again after the restart, under the same IdempotencyToken, and
  // AWS answers with the same certificate.
  aws.post("/_double/in-progress", {{"count", 0}});
  aws.post("/_double/faults", {{"faults", {{{"operation", "IssueCertificate"}, {"kind", "delay"}, {"seconds", 3}, {"count", 1}}}}});
  const std::string in_flight = host.issue("inflight.example.com");
  host.kill_hard();
  host.restart();
  ASSERT_TRUE(host.started()) << host.log();
  EXPECT_EQ(host.finish(in_flight)["status"], "succeeded") << host.log();
  const json stats = aws.stats();
  EXPECT_EQ(stats["issued"], 2) << stats.dump() << "; one certificate per request, two requests";
  EXPECT_LE(stats["calls"].value("IssueCertificate", 0), 3) << stats.dump();
}

TEST(Awspca, PassingFaultsAreRetriedAndAQuotaFailsTheRequestNamingAwsError) {
  isolate_aws_environment();
  AwsDouble aws("--in-progress 0");
  ASSERT_TRUE(aws.started()) << aws.log();
  TempDir dir;
  HostOnAws host(dir, host_yaml(dir, aws));
  ASSERT_TRUE(host.started()) << host.log();
  // Throttling, a 500, a 503, a reset connection and an answer lost after
  // AWS issued: each is retried, and the lost one gets the same certificate.
  for (const char* kind : {"throttle", "internal", "unavailable", "reset", "lost"}) {
    aws.post("/_double/faults", {{"faults", {{{"operation", "IssueCertificate"}, {"kind", kind}, {"count", 1}}}}});
    const int before = aws.stats().value("issued", 0);
    const json done = host.finish(host.issue(std::string(kind) + ".example.com"));
    EXPECT_EQ(done["status"], "succeeded") << kind << ": " << done.dump();
    EXPECT_EQ(aws.stats().value("issued", 0), before + 1) << kind << ": one certificate for the request";
  }
  // A quota is not throttling: the request fails at once, naming AWS's error.
  aws.post("/_double/faults", {{"faults", {{{"operation", "IssueCertificate"}, {"kind", "limit"}, {"count", 1}}}}});
  const int calls_before = aws.stats()["calls"].value("IssueCertificate", 0);
  const json body = {{"common_name", "quota.example.com"}, {"csr", make_csr(dir, "quota.example.com", "DNS:quota.example.com")}};
  auto refused = host.call("POST", "/v1/certificates", body.dump());
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422) << refused->body;
  const json error = json_of(*refused)["error"];
  EXPECT_EQ(error.value("code", ""), "rejected") << refused->body;
  EXPECT_NE(error.value("message", "").find("LimitExceededException"), std::string::npos) << refused->body;
  EXPECT_EQ(aws.stats()["calls"].value("IssueCertificate", 0), calls_before + 1) << "the quota was asked once, not retried";
}

TEST(Awspca, RevokesWithEveryReasonAwsKnowsAndRefusesHold) {
  isolate_aws_environment();
  AwsDouble aws;
  ASSERT_TRUE(aws.started()) << aws.log();
  TempDir dir;
  HostOnAws host(dir, host_yaml(dir, aws));
  ASSERT_TRUE(host.started()) << host.log();
  const std::vector<std::pair<std::string, std::string>> reasons = {
      {"unspecified", "UNSPECIFIED"}, {"key_compromise", "KEY_COMPROMISE"},
      {"ca_compromise", "CERTIFICATE_AUTHORITY_COMPROMISE"}, {"affiliation_changed", "AFFILIATION_CHANGED"},
      {"superseded", "SUPERSEDED"}, {"cessation_of_operation", "CESSATION_OF_OPERATION"},
      {"privilege_withdrawn", "PRIVILEGE_WITHDRAWN"}, {"aa_compromise", "A_A_COMPROMISE"}};
  for (std::size_t i = 0; i <= reasons.size(); ++i) {
    const bool hold = i == reasons.size();
    const std::string name = "revoked" + std::to_string(i) + ".example.com";
    const json done = host.finish(host.issue(name));
    ASSERT_EQ(done["status"], "succeeded") << done.dump();
    const std::string id = done["certificate_id"];
    auto revoked = host.call("POST", "/v1/certificates/" + id + "/revoke",
                             json{{"reason", hold ? "certificate_hold" : reasons[i].first}}.dump());
    ASSERT_TRUE(revoked);
    if (hold) {
      EXPECT_EQ(revoked->status, 400) << revoked->body;
      EXPECT_NE(revoked->body.find("hold"), std::string::npos) << revoked->body;
      continue;
    }
    EXPECT_EQ(revoked->status, 200) << revoked->body;
    const std::string serial = json_of(*revoked).value("serial", "");
    bool found = false;
    for (const auto& c : aws.get("/_double/certificates"))
      if (c.value("serial", "") == serial) {
        found = true;
        EXPECT_TRUE(c.value("revoked", false));
        EXPECT_EQ(c.value("revocation_reason", ""), reasons[i].second);
      }
    EXPECT_TRUE(found) << "serial " << serial << " unknown to the stand-in";
  }
}

// The most IssueCertificate calls the stand-in saw in any one second.
int busiest_second(const json& times) {
  std::vector<double> t;
  for (const auto& v : times) t.push_back(v.get<double>());
  std::sort(t.begin(), t.end());
  int most = 0;
  for (std::size_t i = 0, j = 0; i < t.size(); ++i) {
    while (t[i] - t[j] >= 1.0) ++j;
    most = std::max(most, static_cast<int>(i - j + 1));
  }
  return most;
}

TEST(Awspca, HundredConcurrentRequestsStayWithinTheRate) {
  isolate_aws_environment();
  AwsDouble aws("--in-progress 0");
  ASSERT_TRUE(aws.started()) << aws.log();
  TempDir dir;
  HostOnAws host(dir, host_yaml(dir, aws, "        requests_per_second: 10\n"));
  ASSERT_TRUE(host.started()) << host.log();
  std::vector<std::string> ids(100);
  std::vector<std::thread> clients;
  for (int c = 0; c < 10; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 10; ++i) ids[c * 10 + i] = host.issue("many" + std::to_string(c * 10 + i) + ".example.com");
    });
  for (auto& c : clients) c.join();
  for (const auto& id : ids) {
    const json done = host.finish(id, 120);
    EXPECT_EQ(done["status"], "succeeded") << done.dump();
  }
  const json stats = aws.stats();
  EXPECT_EQ(stats["issued"], 100);
  EXPECT_LE(busiest_second(stats["issue_times"]), 10) << stats["issue_times"].dump();
}

TEST(Awspca, CredentialsComeFromEverySourceAndAreRefreshed) {
  isolate_aws_environment();
  TempDir files;
  const std::string token_file = files.write("web-identity-token", "eyJhbGciOiJSUzI1NiJ9.conformance.signature");
  AwsDouble aws("--credential-lifetime 900 --web-identity-token " + token_file);
  ASSERT_TRUE(aws.started()) << aws.log();
  auto issue_once = [&](const std::string& name, const std::string& extra = "") {
    TempDir dir;
    HostOnAws host(dir, host_yaml(dir, aws, extra, false));
    if (!host.started()) return std::string("the host did not start: ") + host.log();
    const json done = host.finish(host.issue(name));
    if (done["status"] != "succeeded") return done.dump() + "\n" + host.log();
    // Every temporary credential expires early; the next call refreshes once.
    aws.post("/_double/expire-credentials", json::object());
    const json again = host.finish(host.issue("again." + name));
    return again["status"] == "succeeded" ? std::string() : "after expiry: " + again.dump();
  };

  ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
  EXPECT_EQ(issue_once("env.example.com"), "");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");

  ::setenv("AWS_SHARED_CREDENTIALS_FILE",
           files.write("credentials", "[base]\naws_access_key_id = AKIDEXAMPLE\n"
                                      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n").c_str(), 1);
  ::setenv("AWS_CONFIG_FILE", files.write("config", "[profile pca]\nrole_arn = arn:aws:iam::123456789012:role/signet\n"
                                                    "source_profile = base\n").c_str(), 1);
  ::setenv("AWS_PROFILE", "pca", 1);
  const int assumed = aws.stats().value("assume_role", 0);
  EXPECT_EQ(issue_once("profile.example.com"), "");
  EXPECT_GE(aws.stats().value("assume_role", 0), assumed + 2) << "a role for the first call and a fresh one after expiry";
  isolate_aws_environment();

  ::setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.c_str(), 1);
  ::setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/signet-pod", 1);
  EXPECT_EQ(issue_once("pod.example.com"), "");
  EXPECT_GE(aws.stats().value("web_identity", 0), 2);
  isolate_aws_environment();

  ::unsetenv("AWS_EC2_METADATA_DISABLED");
  ::setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", aws.url().c_str(), 1);
  EXPECT_EQ(issue_once("instance.example.com"), "");
  EXPECT_GE(aws.stats().value("imds_credentials", 0), 2);
  isolate_aws_environment();
}

}  // namespace
}  // namespace signet::test
