// Rate limits per source address and per principal: 429 with Retry-After,
// recorded in the audit log once per run, and the login route counted by
// address.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

TEST(RateLimits, PrincipalsAndAddressesGetTheirRateAndAreToldWhenToComeBack) {
  TempDir dir;
  std::string config = host_config(dir, "", false);
  config.replace(config.find("  tls:"), 0,
                 "  rate_limits: {per_source: {rate: 1, burst: 5}, per_principal: {rate: 1, burst: 3}}\n");
  const std::string file = dir.write("host.yaml", config);
  const std::string token = bootstrap_token(dir, file);
  ASSERT_FALSE(token.empty());
  SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();

  for (int i = 0; i < 3; ++i) {
    auto r = http("GET", host.url() + "/v1/tokens", "", token);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().status, 200) << i << " " << r.value().body;
  }
  auto limited = http("GET", host.url() + "/v1/tokens", "", token);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited.value().status, 429);
  EXPECT_EQ(json_of(limited.value())["error"]["code"], "rate_limited");
  EXPECT_EQ(limited.value().header("retry-after"), "1");

  // The open login route counts against the address: the fifth request of the burst, then 429.
  auto login = http("POST", host.url() + "/v1/auth/login", R"({"role_id": "rol_x", "secret_id": "sgs_x"})");
  ASSERT_TRUE(login);
  EXPECT_EQ(login.value().status, 401);
  auto again = http("POST", host.url() + "/v1/auth/login", R"({"role_id": "rol_x", "secret_id": "sgs_x"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().status, 429);
  EXPECT_NE(again.value().body.find("too many requests from 127.0.0.1"), std::string::npos);
  // A flood is one audit record: the run of 429s continues on any route.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http("GET", host.url() + "/v1/nothing-here").value().status, 429);
  // Health checks are never limited.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(http("GET", host.url() + "/health").value().status, 200);

  ASSERT_EQ(host.stop(), 0);
  const auto audited = query_database(dir, dir.file("data/signet.db"),
                                      "SELECT action FROM audit_log WHERE detail LIKE '%rate_limited%' ORDER BY seq");
  // The principal's first 429 and the address's first (on the login route).
  EXPECT_EQ(audited.output, "token:read\nauth:login\n");
}

}  // namespace
}  // namespace signet::test
