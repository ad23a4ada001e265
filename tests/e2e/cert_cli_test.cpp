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
        dev_serve_args(dir_, dir_.file("dev")), dir_.file("dev.log"));
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

  // A folder given with its trailing slash is joined as a path, not pasted.
  const auto renewed = cli("renew " + id + " --out renewed/");
  ASSERT_EQ(renewed.status, 0) << renewed.output;
  EXPECT_TRUE(contains(renewed.output, "wrote renewed/server.crt, renewed/ca-chain.crt, renewed/server.key"))
      << renewed.output;
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

namespace signet::test {
namespace {

class TokenCli : public CertCli {
 protected:
  CommandResult token_cli(const std::string& args, const std::string& token = "$(cat dev/admin-token)") {
    return run_command("cd " + dir_.path() + " && SIGNET_ADDR=" + host_->url() + " SIGNET_TOKEN=" + token +
                       " SIGNET_CACERT=dev/ca.pem " + binary_path() + " token " + args);
  }
};

TEST_F(TokenCli, CreatesListsAndRevokesTokens) {
  const auto made = token_cli("create --role auditor --ttl 2h --network 127.0.0.0/8 --description 'for the review'");
  ASSERT_EQ(made.status, 0) << made.output;
  std::string secret;  // stdout carries the secret alone; the rest went to stderr
  for (const auto& line : lines_of(made.output))
    if (line.rfind("sgt_", 0) == 0) secret = line;
  ASSERT_FALSE(secret.empty()) << made.output;
  // The new token works, with the role it was given.
  const auto as_auditor = token_cli("list", secret);
  EXPECT_NE(as_auditor.status, 0);  // an auditor may not list tokens
  const auto listed = token_cli("list");
  ASSERT_EQ(listed.status, 0) << listed.output;
  EXPECT_TRUE(contains(listed.output, "  auditor  service=-  expires=")) << listed.output;
  EXPECT_FALSE(contains(listed.output, secret));
  const std::string id = listed.output.substr(0, listed.output.find(' '));
  ASSERT_EQ(id.rfind("tok_", 0), 0u) << listed.output;
  const auto revoked = token_cli("revoke " + id);
  EXPECT_EQ(revoked.status, 0) << revoked.output;
  EXPECT_TRUE(contains(token_cli("list").output, "revoked"));
  EXPECT_EQ(token_cli("create").status, 2);  // no role
  EXPECT_EQ(token_cli("create --role pki_god").status, 1);
}

}  // namespace
}  // namespace signet::test
