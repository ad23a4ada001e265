// The shared Vault client (common/vault) against the Vault stand-in
// (tests/doubles/vault; a real Vault is not reachable here), through the
// host's own HTTP client: AppRole login, renewal at two thirds of the TTL
// and a fresh login when renewal is refused, one re-login for an expired
// token and none for a policy's 403, a response-wrapped secret id
// unwrapped once, and a sealed or rate-limited Vault waited out without a
// retry storm.
#include <gtest/gtest.h>

#include "services/host_services.hpp"
#include "vault/client.hpp"
#include "vault_double.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class VaultClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(vault_.started()) << vault_.log();
    vault_.control("POST", "/_double/policies",
                   {{"name", "certs"}, {"policy", R"(path "secret/data/certs/*" { capabilities = ["create", "read", "update"] })"}});
  }

  // An AppRole whose tokens live `ttl` seconds; its role and secret ids.
  json approle(int ttl) {
    return vault_.control("POST", "/_double/approle",
                          {{"name", "signet"}, {"token_policies", {"certs"}}, {"token_ttl", std::to_string(ttl) + "s"},
                           {"token_max_ttl", "1h"}});
  }

  vault::Client client(const json& auth) {
    auto config = vault::read_client_config({{"address", vault_.url()}, {"auth", auth}}, "/vault");
    EXPECT_TRUE(config) << (config ? "" : config.error().message);
    vault::ClientConfig c = config ? std::move(config).value() : vault::ClientConfig{};
    c.initial_backoff = 100ms;
    c.max_backoff = 400ms;
    return vault::Client(c, services_);
  }

  int logins() { return vault_.stats().value("logins", json::object()).value("approle", 0); }

  VaultDouble vault_;
  host::HostServicesImpl services_{LogLevel::error};
};

TEST_F(VaultClient, RenewsAtTwoThirdsOfTheTtlAndLogsInAgainWhenRenewalIsRefused) {
  const json role = approle(6);
  auto c = client({{"role_id", role["role_id"]}, {"secret_id", role["secret_id"]}});
  auto write = c.call("POST", "secret/data/certs/a", {{"data", {{"v", "1"}}}});
  ASSERT_TRUE(write) << write.error().message;
  EXPECT_EQ(write->status, 200) << write->body.dump();
  EXPECT_EQ(logins(), 1);
  std::this_thread::sleep_for(4500ms);  // past two thirds of 6 s, well before the end
  ASSERT_TRUE(c.call("GET", "secret/data/certs/a"));
  EXPECT_EQ(vault_.stats().value("renewals", 0), 1);
  EXPECT_EQ(logins(), 1);
  vault_.control("POST", "/_double/refuse-renewal", {{"on", true}});
  std::this_thread::sleep_for(4500ms);
  auto read = c.call("GET", "secret/data/certs/a");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(logins(), 2);  // the refused renewal led to one fresh login
}

TEST_F(VaultClient, AnExpiredTokenLogsInOnceAPolicyRefusalDoesNot) {
  const json role = approle(600);
  auto c = client({{"role_id", role["role_id"]}, {"secret_id", role["secret_id"]}});
  ASSERT_TRUE(c.call("GET", "secret/data/certs/none"));
  EXPECT_EQ(logins(), 1);
  vault_.control("POST", "/_double/expire-tokens", json::object());
  auto after = c.call("POST", "secret/data/certs/b", {{"data", {{"v", "1"}}}});
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->status, 200) << after->body.dump();
  EXPECT_EQ(logins(), 2);
  // Outside the policy: 403 comes back as it is, without another login.
  auto denied = c.call("GET", "secret/data/other/x");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_NE(denied->errors().find("permission denied"), std::string::npos) << denied->body.dump();
  EXPECT_EQ(logins(), 2);
}

TEST_F(VaultClient, AWrappedSecretIdIsUnwrappedOnce) {
  const json role = approle(600);
  // The wrapping token comes from Vault itself, as an operator's pipeline would get it.
  const std::string wrap = run_command("curl -s -X POST -H 'X-Vault-Token: " + vault_.root_token() +
                                       "' -H 'X-Vault-Wrap-TTL: 60s' " + vault_.url() +
                                       "/v1/auth/approle/role/signet/secret-id").output;
  const std::string token = json::parse(wrap, nullptr, false).value("wrap_info", json::object()).value("token", "");
  ASSERT_FALSE(token.empty()) << wrap;
  auto first = client({{"role_id", role["role_id"]}, {"secret_id", token}, {"secret_id_wrapped", true}});
  auto read = first.call("GET", "secret/data/certs/none");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->status, 404);
  auto second = client({{"role_id", role["role_id"]}, {"secret_id", token}, {"secret_id_wrapped", true}});
  auto refused = second.call("GET", "secret/data/certs/none");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::unauthenticated);
  EXPECT_NE(refused.error().message.find("works once"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find(token), std::string::npos);
}

TEST_F(VaultClient, ASealedVaultIsTriedAFewTimesThenUnavailable) {
  const json role = approle(600);
  auto c = client({{"role_id", role["role_id"]}, {"secret_id", role["secret_id"]}});
  ASSERT_TRUE(c.call("GET", "secret/data/certs/none"));
  vault_.control("DELETE", "/_double/stats");
  vault_.control("POST", "/_double/seal", json::object());
  auto sealed = c.call("GET", "secret/data/certs/none");
  ASSERT_FALSE(sealed);
  EXPECT_EQ(sealed.error().code, ErrorCode::unavailable) << sealed.error().message;
  EXPECT_EQ(vault_.stats().value("status_503", 0), 4);  // max_attempts, no storm
  EXPECT_EQ(sealed.error().message.find(role["secret_id"].get<std::string>()), std::string::npos);
  vault_.control("POST", "/_double/unseal", json::object());
  auto back = c.call("GET", "secret/data/certs/none");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->status, 404);

  // A rate-limit quota with Retry-After is waited out.
  vault_.control("POST", "/_double/rate-limit", {{"path_prefix", "secret/data/"}, {"count", 1}, {"retry_after", 1}});
  const auto started = std::chrono::steady_clock::now();
  auto limited = c.call("GET", "secret/data/certs/none");
  ASSERT_TRUE(limited) << limited.error().message;
  EXPECT_EQ(limited->status, 404);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
}

TEST_F(VaultClient, KubernetesAndJwtLoginsWorkInsideANamespace) {
  vault_.control("POST", "/_double/namespaces", {{"name", "team1"}});
  vault_.control("POST", "/_double/policies",
                 {{"name", "certs"}, {"namespace", "team1"},
                  {"policy", R"(path "secret/data/certs/*" { capabilities = ["create", "read", "update"] })"}});
  vault_.control("POST", "/_double/roles",
                 {{"type", "kubernetes"}, {"namespace", "team1"}, {"name", "signet"},
                  {"bound_service_account_names", {"signet"}}, {"bound_service_account_namespaces", {"pki"}},
                  {"token_policies", {"certs"}}});
  vault_.control("POST", "/_double/roles",
                 {{"type", "jwt"}, {"namespace", "team1"}, {"name", "ci"}, {"bound_audiences", {"vault"}},
                  {"user_claim", "sub"}, {"token_policies", {"certs"}}});
  TempDir files;
  // The service account token file a pod has, and a CI job's JWT (the stand-in does not check their signatures).
  const std::string sa = vault_.control("POST", "/_double/jwt", {{"claims", {{"sub", "system:serviceaccount:pki:signet"}}}})["jwt"];
  const std::string ci = vault_.control("POST", "/_double/jwt", {{"claims", {{"sub", "pipeline-7"}, {"aud", "vault"}}}})["jwt"];
  const std::string sa_file = files.write("sa-token", sa), ci_file = files.write("ci.jwt", ci);
  for (const auto& [method, auth] :
       {std::pair{"kubernetes", json{{"method", "kubernetes"}, {"role", "signet"}, {"jwt_file", sa_file}}},
        std::pair{"jwt", json{{"method", "jwt"}, {"role", "ci"}, {"jwt_file", ci_file}}}}) {
    SCOPED_TRACE(method);
    auto config = vault::read_client_config({{"address", vault_.url()}, {"namespace", "team1"}, {"auth", auth}}, "/vault");
    ASSERT_TRUE(config) << config.error().message;
    vault::Client c(std::move(config).value(), services_);
    auto written = c.call("POST", std::string("secret/data/certs/") + method, {{"data", {{"v", "1"}}}});
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(written->status, 200) << written->body.dump();
    EXPECT_EQ(vault_.stats()["logins"].value(method, 0), 1);
    // Written inside team1, not at the root namespace.
    auto root = http("GET", vault_.url() + "/v1/secret/data/certs/" + method, "", vault_.root_token());
    ASSERT_TRUE(root);
    EXPECT_EQ(root->status, 404);
  }
  // A JWT the role does not accept: unauthenticated, and the JWT is not in the message.
  const std::string wrong = files.write("wrong.jwt", vault_.control("POST", "/_double/jwt", {{"claims", {{"sub", "x"}, {"aud", "other"}}}})["jwt"].get<std::string>());
  auto config = vault::read_client_config(
      {{"address", vault_.url()}, {"namespace", "team1"}, {"auth", {{"method", "jwt"}, {"role", "ci"}, {"jwt_file", wrong}}}}, "/vault");
  ASSERT_TRUE(config);
  vault::Client refused(std::move(config).value(), services_);
  auto answer = refused.call("GET", "secret/data/certs/jwt");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::unauthenticated) << answer.error().message;
  EXPECT_EQ(answer.error().message.find(read_file(wrong).substr(0, 40)), std::string::npos);
}

}  // namespace
}  // namespace signet::test
