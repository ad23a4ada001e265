// tenants.<slug> in the configuration: read, and refused with lines when it
// names profiles or instances that do not exist.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace signet::host {
namespace {

TEST(TenantsConfig, AreReadAndCheckedAgainstProfilesAndInstances) {
  const auto ok = load_config_text(R"(profiles:
  server: {dns: {allowed_suffixes: [.example.com]}}
tenants:
  payments:
    profiles: [server]
  shop: {}
)", "test.yaml");
  ASSERT_TRUE(ok.issues.empty()) << ok.issues.front().to_string();
  ASSERT_EQ(ok.config.tenants.size(), 2u);
  EXPECT_EQ(ok.config.tenants[0].slug, "payments");
  EXPECT_EQ(ok.config.tenants[0].profiles, std::vector<std::string>{"server"});

  const auto bad = load_config_text(R"(profiles:
  server: {dns: {allowed_suffixes: [.example.com]}}
tenants:
  payments:
    profiles: [nope]
    pipelines: {issue: {sign: missing-ca}, refund: {}}
    extra: 1
)", "test.yaml");
  std::string all;
  for (const auto& issue : bad.issues) all += issue.to_string() + "\n";
  EXPECT_NE(all.find("tenants.payments.profiles names unknown profile \"nope\""), std::string::npos) << all;
  EXPECT_NE(all.find("tenants.payments.pipelines.issue.sign names unknown instance \"missing-ca\""), std::string::npos) << all;
  EXPECT_NE(all.find("unknown pipeline \"refund\""), std::string::npos) << all;
  EXPECT_NE(all.find("extra"), std::string::npos) << all;
}

// The same syntax as POST /v1/tenants: a slug goes into URLs and SPIFFE ids.
TEST(TenantsConfig, SlugsFollowTheApiSyntax) {
  const auto bad = load_config_text("tenants:\n  Payments: {}\n  -shop: {}\n  a/b: {}\n  ok-1: {}\n", "test.yaml");
  ASSERT_EQ(bad.issues.size(), 3u);
  EXPECT_NE(bad.issues[0].to_string().find("\"Payments\" is no tenant slug"), std::string::npos) << bad.issues[0].to_string();
  EXPECT_NE(bad.issues[1].to_string().find("\"-shop\""), std::string::npos);
  EXPECT_NE(bad.issues[2].to_string().find("test.yaml:4"), std::string::npos) << bad.issues[2].to_string();
}

}  // namespace
}  // namespace signet::host
