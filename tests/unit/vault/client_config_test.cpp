// The shared `vault:` section (common/vault): Vault's own environment
// variables where the section is silent, and the refusals that keep a
// token from travelling in clear or a login from lacking its credentials.
#include <cstdlib>

#include <gtest/gtest.h>

#include "vault/client.hpp"

namespace signet::vault {
namespace {

using nlohmann::json;

// Sets or clears VAULT_* for one test.
class VaultEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"VAULT_ADDR", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_TOKEN"}) ::unsetenv(name);
  }
  void TearDown() override { SetUp(); }
};

std::vector<std::string> problems(const json& section) {
  auto read = read_client_config(section, "/vault");
  std::vector<std::string> out;
  if (read) return out;
  for (const auto& p : read.error().problems) out.push_back(p.path + ": " + p.message);
  return out;
}

TEST_F(VaultEnv, VaultsOwnVariablesFillWhatTheSectionLeavesOut) {
  ::setenv("VAULT_ADDR", "https://vault.example.com:8200/", 1);
  ::setenv("VAULT_NAMESPACE", "team-a/", 1);
  ::setenv("VAULT_CACERT", "/etc/vault/ca.pem", 1);
  ::setenv("VAULT_TOKEN", "hvs.example", 1);
  auto read = read_client_config(json::object(), "/vault");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->address, "https://vault.example.com:8200");
  EXPECT_EQ(read->namespace_path, "team-a/");
  EXPECT_EQ(read->http.ca_file, "/etc/vault/ca.pem");
  EXPECT_EQ(read->auth.method, AuthMethod::token);
  EXPECT_EQ(read->auth.token, "hvs.example");
  // The section wins over the environment.
  auto approle = read_client_config({{"address", "https://other.example.com"},
                                     {"auth", {{"role_id", "r"}, {"secret_id", "s"}}}}, "/vault");
  ASSERT_TRUE(approle) << approle.error().message;
  EXPECT_EQ(approle->address, "https://other.example.com");
  EXPECT_EQ(approle->auth.method, AuthMethod::approle);
}

TEST_F(VaultEnv, PlainHttpOnlyToThisMachine) {
  const json auth = {{"method", "token"}, {"token", "t"}};
  EXPECT_TRUE(problems({{"address", "http://127.0.0.1:8200"}, {"auth", auth}}).empty());
  EXPECT_TRUE(problems({{"address", "http://localhost:8200"}, {"auth", auth}}).empty());
  const auto remote = problems({{"address", "http://vault.example.com:8200"}, {"auth", auth}});
  ASSERT_EQ(remote.size(), 1u);
  EXPECT_NE(remote[0].find("/vault/address"), std::string::npos) << remote[0];
  EXPECT_NE(remote[0].find("in clear"), std::string::npos) << remote[0];
}

TEST_F(VaultEnv, EachLoginNamesWhatItLacks) {
  const std::string address = "https://vault.example.com";
  EXPECT_EQ(problems({{"address", address}, {"auth", {{"method", "approle"}}}}),
            (std::vector<std::string>{"/vault/auth/role_id: role_id is required for AppRole",
                                      "/vault/auth/secret_id: secret_id is required for AppRole"}));
  EXPECT_EQ(problems({{"address", address}, {"auth", {{"method", "token"}}}}),
            (std::vector<std::string>{"/vault/auth/token: token is required for token auth (or set VAULT_TOKEN)"}));
  EXPECT_EQ(problems({{"address", address}, {"auth", {{"method", "jwt"}, {"role", "r"}}}}),
            (std::vector<std::string>{"/vault/auth/jwt_file: jwt_file is required for a JWT login"}));
  auto kubernetes = read_client_config({{"address", address}, {"auth", {{"method", "kubernetes"}, {"role", "signet"}}}}, "/vault");
  ASSERT_TRUE(kubernetes);
  EXPECT_EQ(kubernetes->auth.jwt_file, "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(problems(json::object()).front(), "/vault/address: the Vault address is required (or set VAULT_ADDR)");
}

TEST_F(VaultEnv, ErrorsNeverCarryTheToken) {
  Response denied{403, {{"errors", {"permission denied"}}}, std::nullopt};
  const Error e = error_from(denied, "reading secret/data/certs/a");
  EXPECT_EQ(e.code, ErrorCode::permission_denied);
  EXPECT_EQ(e.message, "reading secret/data/certs/a: Vault answered HTTP 403 (permission denied)");
  EXPECT_EQ(error_from({503, {{"errors", {"Vault is sealed"}}}, std::nullopt}, "x").code, ErrorCode::unavailable);
  EXPECT_EQ(error_from({404, {{"errors", json::array()}}, std::nullopt}, "x").code, ErrorCode::not_found);
}

}  // namespace
}  // namespace signet::vault
