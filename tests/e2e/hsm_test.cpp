// Every CA key on a SoftHSM2 token through keys-pkcs11 and the real
// binary: `signet ca init` makes the root and issuing keys there, the host
// makes its OCSP signer's key there, a full issue → revoke → OCSP cycle
// verifies with openssl, pkcs11-tool sees each key sensitive and never
// extractable, and no file of the data directory holds any of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "e2e_helpers.hpp"
#include "softhsm_token.hpp"

namespace signet::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `store`: YAML lines of a `store` section (indented by 2), or "".
std::string hsm_config(const TempDir& dir, const SoftHsmToken& token, const std::string& pin,
                       const std::string& store = "") {
  return host_config(dir,
                     "revocation:\n  listen: 127.0.0.1:0\n  ocsp: {keys: hsm}\n"
                     "plugins:\n"
                     "  directories: [" SIGNET_TEST_PLUGIN_DIR
                     "]\n"
                     "  keys:\n"
                     "    hsm:\n"
                     "      plugin: keys-pkcs11\n"
                     "      config: {module: " +
                         softhsm_module() + ", token: " + token.label() + ", pin: '" + pin +
                         "', oaep_hash: sha1}\n"
                         "  ca:\n"
                         "    corp:\n"
                         "      plugin: ca-internal\n"
                         "      config:\n"
                         "        keys: hsm\n"
                         "        dir: " +
                         dir.path() +
                         "/data/ca\n"
                         "        root: {common_name: HSM Root, key: {type: ecdsa, curve: P-384}}\n"
                         "        issuing: {common_name: HSM Issuing, key: {type: rsa, bits: 2048}}\n" +
                         store + "pipelines:\n  issue: {sign: corp}\n");
}

// The secret store of the suite's database (store-postgres on PostgreSQL,
// store-local otherwise), its data keys wrapped by `master_key`.
std::string store_section(const TempDir& dir, const std::string& master_key) {
  const std::string url = database_url_for(dir);
  const std::string where = url.empty() ? "plugin: store-local, config: {path: " + dir.path() + "/data/store.db"
                                        : "plugin: store-postgres, config: {url: '" + url + "'";
  return "  store:\n    vault: {" + where + ", master_key: " + master_key + "}}\n";
}

// The labels of the token's private keys, from pkcs11-tool.
std::vector<std::string> private_key_labels(const SoftHsmToken& token) {
  std::vector<std::string> labels;
  for (const auto& line : lines_of(token.pkcs11_tool("--list-objects --type privkey").output))
    if (line.rfind("  label:", 0) == 0) {
      std::string label = line.substr(line.find(':') + 1);
      labels.push_back(label.erase(0, label.find_first_not_of(' ')));
    }
  return labels;
}

// The SubjectPublicKeyInfo (PEM) of a certificate file, by openssl.
std::string public_key_of(const std::string& certificate_file) {
  return run_command("openssl x509 -noout -pubkey -in " + certificate_file).output;
}

TEST(Hsm, EveryCaKeyLivesOnTheTokenThroughAFullIssueRevokeOcspCycle) {
  SoftHsmToken token;
  ASSERT_TRUE(token.ready()) << token.log();
  token.use_in_this_process();  // the host and offline commands inherit SOFTHSM2_CONF
  TempDir dir;
  const std::string config = dir.write("signet.yaml", hsm_config(dir, token, token.pin()));

  const auto init = run_signet(dir, "ca init --config " + config);
  ASSERT_EQ(init.status, 0) << init.err;
  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string admin = bootstrap_token(dir, config);

  // Issue, and check the chain with openssl.
  const auto issued = http("POST", host.url() + "/v1/certificates",
                           nlohmann::json{{"csr", make_csr(dir, "hsm.example.com", "DNS:hsm.example.com")}}.dump(),
                           admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(issued);
  ASSERT_EQ(issued.value().status, 201) << issued.value().body;
  const nlohmann::json cert = json_of(issued.value());
  const std::string leaf = dir.write("leaf.pem", cert.value("certificate", ""));
  const std::string chain = dir.file("data/ca/chain.pem");
  run_command("awk '/BEGIN/{n++} n==1' " + chain + " > " + dir.file("issuing.pem") + "; awk '/BEGIN/{n++} n==2' " +
              chain + " > " + dir.file("root.pem"));
  const auto verified = run_command("openssl verify -CAfile " + dir.file("root.pem") + " -untrusted " +
                                    dir.file("issuing.pem") + " " + leaf);
  EXPECT_EQ(verified.status, 0) << verified.output;

  // OCSP: good, then revoked, each answer signed by the delegated responder
  // whose key is on the token.
  const std::string trust =
      dir.write("trust.pem", read_file(dir.file("root.pem")) + read_file(dir.file("issuing.pem")));
  auto ask = [&] {
    return run_command("openssl ocsp -issuer " + dir.file("issuing.pem") + " -cert " + leaf + " -url " +
                       host.status_url() + "/pki/corp/ocsp -CAfile " + trust + " -resp_text -respout " +
                       dir.file("response.der") + " 2>&1")
        .output;
  };
  const std::string good = ask();
  EXPECT_TRUE(contains(good, "Response verify OK")) << good;
  EXPECT_TRUE(contains(good, leaf + ": good")) << good;
  const auto revoked = http("POST", host.url() + "/v1/certificates/" + cert.value("id", "") + "/revoke",
                            R"({"reason": "key_compromise"})", admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(revoked && revoked.value().status == 200) << (revoked ? revoked.value().body : "");
  std::string answer;
  for (int i = 0; i < 50 && !contains(answer, ": revoked"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    answer = ask();
  }
  EXPECT_TRUE(contains(answer, "Response verify OK")) << answer;
  EXPECT_TRUE(contains(answer, leaf + ": revoked")) << answer;
  EXPECT_TRUE(contains(answer, "Reason: keyCompromise")) << answer;
  // The CRL, signed by the issuing key on the token, lists it too.
  std::string crl_text;
  for (int i = 0; i < 50 && !contains(crl_text, "Key Compromise"); ++i) {
    const auto crl = http("GET", host.status_url() + "/pki/corp/crl");
    ASSERT_TRUE(crl && crl.value().status == 200);
    dir.write("crl.der", crl.value().body);
    crl_text =
        run_command("openssl crl -inform DER -in " + dir.file("crl.der") + " -CAfile " + trust + " -noout -text 2>&1")
            .output;
    if (!contains(crl_text, "Key Compromise")) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(contains(crl_text, "verify OK")) << crl_text;
  EXPECT_TRUE(contains(crl_text, "Key Compromise")) << crl_text;
  // The responder's certificate, as the answer carries it.
  run_command("openssl ocsp -respin " + dir.file("response.der") +
              " -noverify -resp_text | "
              "awk '/BEGIN CERT/,/END CERT/' > " +
              dir.file("responder.pem"));
  ASSERT_TRUE(contains(read_file(dir.file("responder.pem")), "BEGIN CERTIFICATE"));

  // pkcs11-tool: three private keys on the token (root, issuing, OCSP
  // signer), each sensitive and never extractable; their public halves are
  // the ones in the certificates.
  const auto labels = private_key_labels(token);
  ASSERT_EQ(labels.size(), 3u) << token.pkcs11_tool("--list-objects").output;
  std::vector<std::string> token_public_keys;
  for (const auto& label : labels) {
    const std::string listing = token.private_key_listing(label);
    EXPECT_TRUE(contains(listing, "Access:     sensitive, always sensitive, never extractable, local")) << listing;
    const std::string der = dir.file("pub-" + label + ".der");
    token.pkcs11_tool("--read-object --type pubkey --label '" + label + "' -o " + der);
    token_public_keys.push_back(run_command("openssl pkey -pubin -inform DER -in " + der).output);
  }
  // pkcs11-tool 0.23 cannot export a P-384 public key ("cannot create
  // EVP_PKEY"), so EC points are also looked for in its listing, where it
  // prints each CKA_EC_POINT in hex.
  const std::string listing = token.pkcs11_tool("--list-objects --type pubkey").output;
  for (const char* certificate : {"root.pem", "issuing.pem", "responder.pem"}) {
    const std::string expected = public_key_of(dir.file(certificate));
    const std::string spki_hex =
        trimmed(run_command("openssl x509 -noout -pubkey -in " + dir.file(certificate) +
                            " | openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \\n'")
                    .output);
    const bool exported =
        std::find(token_public_keys.begin(), token_public_keys.end(), expected) != token_public_keys.end();
    const bool listed = spki_hex.size() > 130 && contains(listing, spki_hex.substr(spki_hex.size() - 130));
    EXPECT_TRUE(exported || listed) << certificate << " has a key that is not on the token:\n" << expected << listing;
  }

  // No file of the data directory holds a private key of any of them: the
  // only private key there is the host's own HTTPS key.
  int private_key_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.file("data"))) {
    if (!entry.is_regular_file()) continue;
    const std::string content = read_file(entry.path().string());
    EXPECT_FALSE(contains(content, "ENCRYPTED PRIVATE KEY")) << entry.path();
    if (!contains(content, "PRIVATE KEY")) continue;
    ++private_key_files;
    const std::string public_key = run_command("openssl pkey -pubout -in " + entry.path().string()).output;
    EXPECT_EQ(std::find(token_public_keys.begin(), token_public_keys.end(), public_key), token_public_keys.end())
        << entry.path() << " holds a CA key";
  }
  EXPECT_LE(private_key_files, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("data/keys")));
}

TEST(Hsm, TheSecretStoreWrapsItsDataKeysWithAKeyThatNeverLeavesTheToken) {
  SoftHsmToken token;
  ASSERT_TRUE(token.ready()) << token.log();
  token.use_in_this_process();
  TempDir dir;
  const std::string config =
      dir.write("signet.yaml",
                hsm_config(dir, token, token.pin(), store_section(dir, "{keys: hsm, key_id: signet-store-master}")));
  ASSERT_EQ(run_signet(dir, "ca init --config " + config).status, 0);
  const std::string admin = bootstrap_token(dir, config);
  const std::string secret = "a-secret-only-the-token-can-open";
  {
    SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
    ASSERT_TRUE(host.started()) << host.log();
    const auto put = http("PUT", host.url() + "/v1/secrets/db/password",
                          nlohmann::json{{"data", {{"password", secret}}}}.dump(), admin, dir.file("data/ca.pem"));
    ASSERT_TRUE(put && put.value().status == 200) << (put ? put.value().body : "");
  }
  // After a restart the data key unwraps on the token again.
  SignetProcess host({"serve", "--config", config}, dir.file("host2.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const auto got = http("GET", host.url() + "/v1/secrets/db/password", "", admin, dir.file("data/ca.pem"));
  ASSERT_TRUE(got && got.value().status == 200) << (got ? got.value().body : "");
  EXPECT_EQ(json_of(got.value())["data"]["password"], secret);

  const std::string listing = token.private_key_listing("signet-store-master");
  EXPECT_TRUE(contains(listing, "Private Key Object; RSA")) << listing;
  EXPECT_TRUE(contains(listing, "Access:     sensitive, always sensitive, never extractable, local")) << listing;
  EXPECT_FALSE(contains(database_contents(dir, dir.file("data/store.db")), secret)) << "never stored in clear";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.file("data")))
    if (entry.is_regular_file()) EXPECT_FALSE(contains(read_file(entry.path().string()), secret)) << entry.path();

  // A token without the wrapping key's hash (SoftHSM2 decrypts RSA-OAEP
  // with SHA-1 only) stops the start, naming the setting.
  std::string sha256 = read_file(config);
  sha256.replace(sha256.find("oaep_hash: sha1"), 15, "oaep_hash: sha256");
  SignetProcess refused({"serve", "--config", dir.write("sha256.yaml", sha256)}, dir.file("refused.log"));
  EXPECT_FALSE(refused.started());
  EXPECT_TRUE(contains(refused.log(), "oaep_hash: sha1")) << refused.log();
}

TEST(Hsm, AWrongPinAMissingTokenOrAMissingKeyStopsTheStart) {
  SoftHsmToken token;
  ASSERT_TRUE(token.ready()) << token.log();
  token.use_in_this_process();
  TempDir dir;
  const std::string wrong_pin = dir.write("wrong-pin.yaml", hsm_config(dir, token, "9999-not-the-pin"));
  SignetProcess refused({"serve", "--config", wrong_pin}, dir.file("refused.log"));
  EXPECT_FALSE(refused.started());
  EXPECT_TRUE(contains(refused.log(), "the PIN is wrong (CKR_PIN_INCORRECT")) << refused.log();
  EXPECT_FALSE(contains(refused.log(), "9999-not-the-pin")) << "the PIN is never logged";

  std::string no_module_text = hsm_config(dir, token, token.pin());
  no_module_text.replace(no_module_text.find(softhsm_module()), softhsm_module().size(), "/usr/lib/nothing/pkcs11.so");
  SignetProcess no_module({"serve", "--config", dir.write("no-module.yaml", no_module_text)},
                          dir.file("no-module.log"));
  EXPECT_FALSE(no_module.started());
  EXPECT_TRUE(contains(no_module.log(), "PKCS#11 module /usr/lib/nothing/pkcs11.so does not exist")) << no_module.log();
  // The CA that uses it says why it cannot, rather than that there is no such instance.
  EXPECT_TRUE(contains(no_module.log(), "keys instance hsm did not start")) << no_module.log();

  std::string missing = hsm_config(dir, token, token.pin());
  missing.replace(missing.find("token: " + token.label()), 7 + token.label().size(), "token: elsewhere");
  SignetProcess no_token({"serve", "--config", dir.write("missing.yaml", missing)}, dir.file("missing.log"));
  EXPECT_FALSE(no_token.started());
  EXPECT_TRUE(contains(no_token.log(), "no token 'elsewhere'")) << no_token.log();

  // A CA whose issuing key was deleted from the token does not start
  // (rather than failing at its first signature).
  const std::string config = dir.write("signet.yaml", hsm_config(dir, token, token.pin()));
  ASSERT_EQ(run_signet(dir, "ca init --config " + config).status, 0);
  std::string issuing_label;
  for (const auto& line : lines_of(token.pkcs11_tool("--list-objects --type privkey").output))
    if (contains(line, "label:      corp-issuing-")) issuing_label = line.substr(line.find("corp-issuing-"));
  ASSERT_FALSE(issuing_label.empty()) << token.pkcs11_tool("--list-objects").output;
  ASSERT_EQ(token.pkcs11_tool("--delete-object --type privkey --label " + issuing_label).status, 0);
  SignetProcess no_key({"serve", "--config", config}, dir.file("no-key.log"));
  EXPECT_FALSE(no_key.started());
  EXPECT_TRUE(contains(no_key.log(), "no private key")) << no_key.log();
}

}  // namespace
}  // namespace signet::test
