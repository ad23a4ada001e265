// Revocation across CA instances: each certificate is revoked at the CA
// that issued it, and one whose CA cannot revoke is named, not hidden.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

// Issues through ca-scripted (no revoke capability) and renews through
// ca-internal, so one key ends up in certificates of two CA instances.
class Revocation : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("signet.yaml", host_config(dir_,
        "plugins:\n"
        "  directories: [" SIGNET_TEST_PLUGIN_DIR ", " SIGNET_TEST_SCRIPTED_DIR "]\n"
        "  keys:\n"
        "    keys: {plugin: keys-software, config: {dir: " + dir_.file("keys") + ", passphrase: test-passphrase-0123456789}}\n"
        "  ca:\n"
        "    scripted: {plugin: ca-scripted}\n"
        "    internal: {plugin: ca-internal, config: {keys: keys, dir: " + dir_.file("ca") + "}}\n"
        "pipelines:\n"
        "  issue: {sign: scripted}\n"
        "  renew: {sign: internal}\n"));
    token_ = bootstrap_token(dir_, config_);
    host_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_}, dir_.file("host.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
    csr_ = make_csr(dir_, "app.example.com", "DNS:app.example.com");
  }

  json call(const std::string& path, const json& body, int expected) {
    auto r = http("POST", host_->url() + path, body.dump(), token_, dir_.file("data/ca.pem"));
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r.value().status, expected) << r.value().body;
    return json_of(r.value());
  }
  std::string status_of(const std::string& id) {
    auto r = http("GET", host_->url() + "/v1/certificates/" + id, "", token_, dir_.file("data/ca.pem"));
    return r ? json_of(r.value()).value("status", "") : "";
  }

  TempDir dir_;
  std::string config_, token_, csr_;
  std::unique_ptr<SignetProcess> host_;
};

TEST_F(Revocation, ACertificateWhoseCaCannotRevokeIsNamedAndTheOthersAreRevoked) {
  const std::string scripted = call("/v1/certificates", {{"csr", csr_}}, 201).value("id", "");
  const std::string internal = call("/v1/certificates/" + scripted + "/renew", {{"csr", csr_}}, 201).value("id", "");
  ASSERT_FALSE(internal.empty());

  // Named directly, a certificate its CA cannot revoke is refused, and nothing changes.
  const json refused = call("/v1/certificates/" + scripted + "/revoke", {{"reason", "key_compromise"}, {"all_with_same_key", true}}, 501);
  EXPECT_EQ(refused["error"]["code"], "unsupported");
  EXPECT_EQ(status_of(internal), "active");

  // Reached through its key, it is reported, and the other one is revoked.
  const json done = call("/v1/certificates/" + internal + "/revoke", {{"reason", "key_compromise"}, {"all_with_same_key", true}}, 200);
  EXPECT_EQ(done.value("status", ""), "revoked");
  EXPECT_EQ(done.at("revoked_with_same_key"), json::array());
  ASSERT_EQ(done.at("not_revoked").size(), 1u) << done.dump();
  EXPECT_EQ(done.at("not_revoked")[0].value("id", ""), scripted);
  EXPECT_EQ(done.at("not_revoked")[0]["error"].value("code", ""), "unsupported");
  EXPECT_EQ(status_of(scripted), "active");
  EXPECT_EQ(status_of(internal), "revoked");
}

}  // namespace
}  // namespace signet::test
