// tenants.<slug> in the configuration: a tenant with its own issuing CA (its
// own pipelines) and a narrower set of profiles; the others keep the shared ones.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

TEST(TenantConfig, ATenantIssuesFromItsOwnCaWithItsOwnProfiles) {
  TempDir dir;
  std::string config = host_config(dir,
      "plugins:\n"
      "  directories: [" SIGNET_TEST_PLUGIN_DIR "]\n"
      "  keys:\n"
      "    keys: {plugin: keys-software, config: {dir: " + dir.file("keys") + ", passphrase: test-passphrase-0123456789}}\n"
      "  ca:\n"
      "    internal: {plugin: ca-internal, config: {keys: keys, dir: " + dir.file("ca") + "}}\n"
      "    payments-ca: {plugin: ca-internal, config: {keys: keys, dir: " + dir.file("ca-payments") + "}}\n"
      "pipelines:\n"
      "  issue: {sign: internal}\n"
      "tenants:\n"
      "  payments:\n"
      "    profiles: [default]\n"
      "    pipelines: {issue: {sign: payments-ca}}\n");
  config.replace(config.find("profiles:\n  default:"), 20,
                 "profiles:\n  other: {dns: {allowed_suffixes: [.example.com]}, max_ttl: 90d}\n  default:");
  const std::string file = dir.write("signet.yaml", config);
  const std::string token = bootstrap_token(dir, file);
  ASSERT_FALSE(token.empty());
  SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string ca = dir.file("data/ca.pem");
  auto issue = [&](const std::string& query, const std::string& profile) {
    const json body = {{"common_name", "a.example.com"}, {"profile", profile},
                       {"csr", make_csr(dir, "a.example.com", "DNS:a.example.com")}};
    auto r = http("POST", host.url() + "/v1/certificates" + query, body.dump(), token, ca);
    EXPECT_TRUE(r);
    return std::make_pair(r ? r.value().status : -1, r ? json_of(r.value()) : json());
  };

  const auto [shared_status, shared] = issue("", "other");
  ASSERT_EQ(shared_status, 201) << shared;
  const auto [own_status, own] = issue("?tenant=payments", "default");
  ASSERT_EQ(own_status, 201) << own;
  const auto [narrow_status, narrow] = issue("?tenant=payments", "other");
  EXPECT_EQ(narrow["error"]["code"], "unknown_profile") << narrow_status << " " << narrow;

  // Each certificate verifies against its own CA's chain only (OpenSSL as the judge).
  auto chain = [&](const std::string& name) {
    auto r = http("GET", host.url() + "/pki/" + name + "/chain.pem", "", "", ca);
    return dir.write(name + ".chain", r ? r.value().body : "");
  };
  const std::string internal_chain = chain("internal"), payments_chain = chain("payments-ca");
  dir.write("shared.crt", shared.value("certificate", ""));
  dir.write("own.crt", own.value("certificate", ""));
  auto verifies = [&](const std::string& chain_file, const std::string& cert) {
    return run_command("openssl verify -CAfile " + chain_file + " " + dir.file(cert) + " 2>&1").status == 0;
  };
  EXPECT_TRUE(verifies(internal_chain, "shared.crt"));
  EXPECT_FALSE(verifies(payments_chain, "shared.crt"));
  EXPECT_TRUE(verifies(payments_chain, "own.crt"));
  EXPECT_FALSE(verifies(internal_chain, "own.crt"));
}

}  // namespace
}  // namespace signet::test
