// `signet cert …` against a running dev host, as a user at a shell runs it.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CertCli : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<SignetProcess>(
        std::vector<std::string>{"serve", "--dev", "--data-dir", dir_.file("dev"), "--listen", "127.0.0.1:0"},
        dir_.file("dev.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
  }

  // Runs `signet cert ARGS` with the server named only by the environment.
  CommandResult cli(const std::string& args) {
    return run_command("cd " + dir_.path() + " && SIGNET_ADDR=" + host_->url() + " SIGNET_TOKEN=$(cat dev/admin-token)" +
                       " SIGNET_CACERT=dev/ca.pem " + binary_path() + " cert " + args + " 2>&1");
  }

  TempDir dir_;
  std::unique_ptr<SignetProcess> host_;
};

TEST_F(CertCli, IssuesIntoADirectoryListsRenewsAndRevokes) {
  const auto issued = cli("issue --cn cli.test --san cli.test --san 127.0.0.1 --meta ticket=RITM7 --out out");
  ASSERT_EQ(issued.status, 0) << issued.output;
  const auto verify = run_command("cd " + dir_.path() + " && openssl verify -CAfile dev/ca.pem -untrusted out/ca-chain.crt "
                                  "out/server.crt && test \"$(stat -c %a out/server.key)\" = 600 && "
                                  "openssl x509 -in out/server.crt -noout -ext subjectAltName");
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_TRUE(contains(verify.output, "DNS:cli.test, IP Address:127.0.0.1")) << verify.output;
  const std::string id = issued.output.substr(issued.output.find("crt_"), 30);

  const auto listed = cli("list --cn cli.test");
  EXPECT_EQ(listed.status, 0);
  EXPECT_TRUE(contains(listed.output, id + "  active")) << listed.output;

  const auto renewed = cli("renew " + id + " --out renewed");
  ASSERT_EQ(renewed.status, 0) << renewed.output;
  EXPECT_EQ(run_command("cmp -s " + dir_.file("out/server.key") + " " + dir_.file("renewed/server.key")).status, 1)
      << "a renewal brings a new key";

  const auto revoked = cli("revoke " + id + " --reason key_compromise");
  EXPECT_EQ(revoked.status, 0) << revoked.output;
  EXPECT_TRUE(contains(revoked.output, "(key_compromise)")) << revoked.output;
  EXPECT_TRUE(contains(cli("get " + id).output, "\"status\": \"revoked\""));
}

TEST_F(CertCli, RefusalsNameTheProblemAndExitNonZero) {
  const auto bad_reason = cli("revoke crt_nope --reason nope");
  EXPECT_EQ(bad_reason.status, 1);
  EXPECT_TRUE(contains(bad_reason.output, "signet: invalid_reason: unknown revocation reason")) << bad_reason.output;
  const auto outside = cli("issue --cn evil.org");
  EXPECT_EQ(outside.status, 1);
  EXPECT_TRUE(contains(outside.output, "san_not_allowed")) << outside.output;
  EXPECT_EQ(cli("frobnicate").status, 2);
  const auto no_addr = run_command(binary_path() + " cert list 2>&1");
  EXPECT_EQ(no_addr.status, 2);
  EXPECT_TRUE(contains(no_addr.output, "SIGNET_ADDR")) << no_addr.output;
}

}  // namespace
}  // namespace signet::test
