// `signet ca init` and `signet ca import` against a configuration file, and
// a CA with bootstrap off that the host refuses to start without.
#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string ca_config(const TempDir& dir) {
  return host_config(dir, internal_ca_plugins(dir, "        bootstrap: false\n"
                                                "        root: {common_name: Corp Root, key: {type: rsa, bits: 3072}, path_length: 1}\n"
                                                "        issuing: {common_name: Corp Issuing, key: {type: ecdsa, curve: P-384}}\n"
                                                "        name_constraints: {permitted_dns: [.example.com]}\n") +
                              "pipelines:\n"
                              "  issue: {validate: [profile-policy], sign: corp}\n");
}

TEST(CaCommands, InitCreatesTheHierarchyTheHostThenServes) {
  TempDir dir;
  const std::string config = dir.write("signet.yaml", ca_config(dir));
  SignetProcess refused({"serve", "--config", config}, dir.file("refused.log"));
  EXPECT_FALSE(refused.started());
  EXPECT_TRUE(contains(refused.log(), "CA corp has no certificate yet; run `signet ca init`")) << refused.log();

  const auto init = run_signet(dir, "ca init --config " + config);
  ASSERT_EQ(init.status, 0) << init.err;
  EXPECT_TRUE(contains(init.out, "CA corp:\n  /CN=Corp Issuing\n  /CN=Corp Root\n")) << init.out;
  const auto again = run_signet(dir, "ca init --config " + config);
  EXPECT_EQ(again.out, init.out) << "a second init changes nothing";

  const std::string chain = dir.file("data/ca/chain.pem");
  const auto root = run_command("openssl x509 -noout -text -in " + chain + " | head -0; awk '/BEGIN/{n++} n==2' " + chain +
                                " > " + dir.file("root.pem") + " && openssl x509 -noout -text -in " + dir.file("root.pem"));
  EXPECT_TRUE(contains(root.output, "Public-Key: (3072 bit)")) << root.output;
  EXPECT_TRUE(contains(root.output, "CA:TRUE, pathlen:1")) << root.output;
  EXPECT_TRUE(contains(root.output, "Permitted:\n                  DNS:.example.com")) << root.output;
  EXPECT_TRUE(contains(root.output, "Certificate Sign, CRL Sign")) << root.output;
  const auto issuing = run_command("openssl x509 -noout -text -in " + chain);
  EXPECT_TRUE(contains(issuing.output, "CA:TRUE, pathlen:0")) << issuing.output;
  EXPECT_TRUE(contains(issuing.output, "Signature Algorithm: sha256WithRSAEncryption")) << "signed by the RSA root";
  EXPECT_TRUE(contains(run_command("ls -l " + dir.file("data/keys")).output, "-rw-------")) << "key files are 0600";
  EXPECT_FALSE(contains(read_file(dir.file("data/ca/ca.json")), "PRIVATE KEY")) << "the CA state holds no key";

  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string token = bootstrap_token(dir, config);
  const auto issued = http("POST", host.url() + "/v1/certificates",
                           nlohmann::json{{"csr", make_csr(dir, "www.example.com", "DNS:www.example.com")}}.dump(), token,
                           dir.file("data/ca.pem"));
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued.value().status, 201) << issued.value().body;
  const std::string leaf = dir.write("leaf.pem", json_of(issued.value()).value("certificate", ""));
  const auto verified = run_command("openssl verify -CAfile " + dir.file("root.pem") + " -untrusted " + chain + " " + leaf);
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_TRUE(contains(run_command("openssl x509 -noout -text -in " + leaf).output, "ecdsa-with-SHA384"))
      << "a P-384 issuing CA signs with SHA-384";
}

// A lost key file must stop the CA, never make a new hierarchy in its
// place (which `bootstrap` does for a CA that has none yet).
TEST(CaCommands, ACaWhoseKeyIsGoneDoesNotStartAndIsNotReplaced) {
  TempDir dir;
  std::string text = ca_config(dir);
  text.replace(text.find("bootstrap: false"), 16, "bootstrap: true");
  const std::string config = dir.write("signet.yaml", text);
  ASSERT_EQ(run_signet(dir, "ca init --config " + config).status, 0);
  const std::string chain = read_file(dir.file("data/ca/chain.pem"));
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("data/keys")))
    if (entry.path().filename().string().find("issuing") != std::string::npos) removed += std::filesystem::remove(entry.path());
  ASSERT_EQ(removed, 1);
  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  EXPECT_FALSE(host.started());
  EXPECT_TRUE(contains(host.log(), "is missing")) << host.log();
  const auto init = run_signet(dir, "ca init --config " + config);
  EXPECT_NE(init.status, 0);
  EXPECT_TRUE(contains(init.err, "is missing")) << init.err;
  EXPECT_EQ(read_file(dir.file("data/ca/chain.pem")), chain) << "the CA was replaced";
}

TEST(CaCommands, ImportAdoptsAnExistingCa) {
  TempDir dir;
  const std::string config = dir.write("signet.yaml", ca_config(dir));
  // A CA made by OpenSSL, not by Signet.
  const auto made = run_command(
      "cd " + dir.path() + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key "
      "-out root.pem -subj /CN=Outside-Root -days 30 -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign,cRLSign 2>&1 && "
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sub.key -out sub.csr -subj /CN=Outside-Issuing 2>&1 && "
      "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\nkeyUsage=critical,keyCertSign,cRLSign\\nsubjectKeyIdentifier=hash\\n' > ext && "
      "openssl x509 -req -in sub.csr -CA root.pem -CAkey root.key -CAcreateserial -days 20 -extfile ext -out sub.pem 2>&1 && "
      "cat sub.pem root.pem > chain.pem");
  ASSERT_EQ(made.status, 0) << made.output;
  const auto imported = run_signet(dir, "ca import --config " + config + " --ca corp --chain " + dir.file("chain.pem") +
                                            " --key " + dir.file("sub.key"));
  ASSERT_EQ(imported.status, 0) << imported.err;
  EXPECT_TRUE(contains(imported.out, "/CN=Outside-Issuing")) << imported.out;
  const auto twice = run_signet(dir, "ca import --config " + config + " --ca corp --chain " + dir.file("chain.pem") +
                                         " --key " + dir.file("sub.key"));
  EXPECT_EQ(twice.status, 1);
  EXPECT_TRUE(contains(twice.err, "already has a CA certificate")) << twice.err;

  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string token = bootstrap_token(dir, config);
  const auto issued = http("POST", host.url() + "/v1/certificates",
                           nlohmann::json{{"csr", make_csr(dir, "api.example.com", "DNS:api.example.com")}, {"ttl", "90d"}}.dump(),
                           token, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued.value().status, 201) << issued.value().body;
  const std::string leaf = dir.write("leaf.pem", json_of(issued.value()).value("certificate", ""));
  const auto verified = run_command("openssl verify -CAfile " + dir.file("root.pem") + " -untrusted " + dir.file("sub.pem") + " " + leaf);
  EXPECT_EQ(verified.status, 0) << verified.output;
  // 90 days asked, but the imported issuing CA ends in 20: the leaf stops with it.
  EXPECT_NE(run_command("openssl x509 -noout -checkend " + std::to_string(21 * 86400) + " -in " + leaf).status, 0);
}

}  // namespace
}  // namespace signet::test
