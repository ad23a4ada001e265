// GET /metrics of the real binary after issuing, renewing and revoking:
// Prometheus's own `promtool check metrics` (package prometheus) finds
// nothing to complain of, the inventory's gauges and the operation
// counters say what happened, and no serial, name or id is ever a label.
#include <gtest/gtest.h>

#include <regex>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

// The value of the one sample whose line starts with `series` ("name{labels}").
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return -1;
}

TEST(Metrics, PromtoolAcceptsThemAndTheyTellWhatHappened) {
  DevHost host;
  ASSERT_TRUE(host.started()) << host.log();
  const json a = host.issue("metrics-a.test");
  const json b = host.issue("metrics-b.test");
  auto call = [&](const std::string& path, const std::string& body) {
    auto r = http("POST", host.url() + path, body, host.admin_token(), host.ca_file());
    ASSERT_TRUE(r);
    EXPECT_LT(r->status, 300) << r->body;
  };
  call("/v1/certificates/" + a.value("id", "") + "/revoke", R"({"reason":"key_compromise"})");
  call("/v1/certificates/" + b.value("id", "") + "/renew", "{}");
  ASSERT_TRUE(http("GET", host.url() + "/v1/audit/verify", "", host.admin_token(), host.ca_file()));

  auto scraped = http("GET", host.url() + "/metrics", "", "", host.ca_file());
  ASSERT_TRUE(scraped);
  ASSERT_EQ(scraped->status, 200);
  const std::string text = scraped->body;
  const std::string file = host.dir().write("metrics.txt", text);
  const auto checked = run_command("promtool check metrics < " + file + " 2>&1");
  EXPECT_EQ(checked.status, 0) << checked.output;
  EXPECT_EQ(checked.output, "") << "promtool's lint found problems";

  const std::string tenant = "tenant=\"default\"";
  EXPECT_EQ(sample(text, "signet_certificates{ca=\"internal\",state=\"active\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_certificates{ca=\"internal\",state=\"superseded\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_certificates{ca=\"internal\",state=\"revoked\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_certificates_issued_total{ca=\"internal\",profile=\"default\"," + tenant + "}"), 2);
  EXPECT_EQ(sample(text, "signet_certificates_renewed_total{ca=\"internal\",profile=\"default\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_certificates_revoked_total{reason=\"key_compromise\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_renewal_attempts_total{result=\"succeeded\"," + tenant + "}"), 1);
  EXPECT_EQ(sample(text, "signet_renewal_attempts_total{result=\"failed\"," + tenant + "}"), 0) << "there from the start, at 0";
  for (const char* status : {"pending", "running", "waiting", "pending_approval"})
    EXPECT_EQ(sample(text, std::string("signet_requests_oldest_age_seconds{status=\"") + status + "\"," + tenant + "}"), 0)
        << status << ": none open";
  EXPECT_EQ(sample(text, "signet_certificates_expiring{" + tenant + ",within=\"90d\"}"), 1) << "the renewal, 30 days";
  EXPECT_EQ(sample(text, "signet_signing_seconds_count{ca=\"internal\",keys=\"keys\"}"), 3);
  EXPECT_EQ(sample(text, "signet_audit_chain_valid"), 1);
  EXPECT_GT(sample(text, "signet_ca_certificate_not_after_timestamp_seconds{ca=\"internal\"}"), 1.7e9);
  EXPECT_GT(sample(text, "signet_crl_next_update_timestamp_seconds{ca=\"internal\",kind=\"full\",shard=\"0\"}"), 1.7e9);
  EXPECT_EQ(sample(text, "signet_build_info{sdk=\"1.2\",version=\"0.1.0\"}"), 1);
  EXPECT_GT(sample(text, "signet_http_requests_total{code=\"201\",method=\"POST\",route=\"/v1/certificates\"}"), 0);
  EXPECT_GT(sample(text, "signet_http_requests_total{code=\"200\",method=\"POST\",route=\"/v1/certificates/{id}/revoke\"}"), 0);

  // Routes by template, never by path; no serial, name or id as a label.
  for (const std::string& secret : {a.value("id", ""), a.value("serial", ""), std::string("metrics-a.test"), host.admin_token()})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " appears in /metrics";
}

}  // namespace
}  // namespace signet::test
