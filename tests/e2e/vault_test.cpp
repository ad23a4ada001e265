// The Vault plugins end to end (issue 24), with the real signet binary and
// the Vault stand-in (tests/doubles/vault; a real Vault is not reachable
// here): store-vault delivers each certificate with its key and chain to
// KV v2 where Vault Agent reads it, a renewal is version 2 at the same
// path and a revocation is recorded there; the AppRole token is renewed,
// and a refused renewal or an expired token leads to one fresh login; a
// sealed Vault keeps requests waiting without a retry storm; a policy that
// grants data/ only is enough; and with keys-vault-transit every CA key
// lives in Transit, where OpenSSL verifies what they sign.
#include <filesystem>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "vault_double.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// What store-vault needs for every feature, and what it needs at least.
constexpr const char* kFullPolicy = R"(
path "secret/data/*" { capabilities = ["create", "read", "update", "delete"] }
path "secret/metadata/*" { capabilities = ["create", "read", "update", "list"] }
path "secret/delete/*" { capabilities = ["update"] }
path "secret/destroy/*" { capabilities = ["update"] }
path "transit/keys/*" { capabilities = ["create", "read", "update"] }
path "transit/keys" { capabilities = ["list"] }
path "transit/sign/*" { capabilities = ["update"] }
path "transit/encrypt/*" { capabilities = ["update"] }
path "transit/decrypt/*" { capabilities = ["update"] }
)";
constexpr const char* kDataOnlyPolicy = R"(path "secret/data/*" { capabilities = ["create", "read", "update"] })";

struct Options {
  std::string policy = kFullPolicy;
  std::string token_ttl = "20m";
  std::string ca_keys = "keys";     // "transit": the internal CA's keys in Transit
  std::string ca_config = "        bootstrap: true\n";  // more ca-internal config lines
  std::string store_config;         // more store-vault config (flow style, leading ", ")
  std::string store;                // another store section's lines (replaces store-vault's), named `vault`
  std::string top;                  // more top-level sections
};

class Vault : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(vault_.started()) << vault_.log(); }

  // Writes the host's config: the internal CA, store-vault as the pipeline's
  // store, both Vault plugins logged in with one AppRole whose ids come from
  // the environment, as examples/vault.yaml has them.
  void configure(const Options& s = {}) {
    vault_.control("POST", "/_double/policies", {{"name", "signet"}, {"policy", s.policy}});
    const json role = vault_.control("POST", "/_double/approle",
                                     {{"name", "signet"}, {"token_policies", {"signet"}}, {"token_ttl", s.token_ttl},
                                      {"token_max_ttl", "1h"}});
    setenv("SIGNET_VAULT_ROLE_ID", role.value("role_id", "").c_str(), 1);
    setenv("SIGNET_VAULT_SECRET_ID", role.value("secret_id", "").c_str(), 1);
    const std::string vault = "{address: '" + vault_.url() +
                              "', auth: {method: approle, role_id: '${env:SIGNET_VAULT_ROLE_ID}', "
                              "secret_id: '${env:SIGNET_VAULT_SECRET_ID}'}}";
    const std::string extra =
        "plugins:\n"
        "  directories: [" SIGNET_TEST_PLUGIN_DIR "]\n"
        "  keys:\n" +
        (s.ca_keys == "transit"
             ? "    transit: {plugin: keys-vault-transit, config: {vault: " + vault + "}}\n"
             : "    keys: {plugin: keys-software, config: {dir: " + dir_.path() + "/data/keys, passphrase: 'a passphrase of some length'}}\n") +
        "  ca:\n"
        "    corp:\n"
        "      plugin: ca-internal\n"
        "      config:\n"
        "        keys: " + s.ca_keys + "\n"
        "        dir: " + dir_.path() + "/data/ca\n" + s.ca_config +
        "  store:\n" +
        (s.store.empty() ? "    vault: {plugin: store-vault, config: {vault: " + vault + s.store_config + "}}\n" : s.store) +
        "pipelines:\n"
        "  issue: {validate: [profile-policy], sign: corp, store: vault}\n"
        "  renew: {validate: [profile-policy], sign: corp, store: vault}\n" + s.top;
    config_ = dir_.write("signet.yaml", host_config(dir_, extra));
  }

  SignetProcess& start_host() {
    if (admin_.empty()) admin_ = bootstrap_token(dir_, config_);  // once: a restart keeps it
    EXPECT_FALSE(admin_.empty()) << run_signet(dir_, "config check " + config_).err;
    host_ = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_}, dir_.file("host.log"));
    EXPECT_TRUE(host_->started()) << host_->log();
    return *host_;
  }

  struct Answer {
    int status = 0;
    json body;
  };
  Answer call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host_->url() + path, body.is_null() ? "" : body.dump(), admin_, dir_.file("data/ca.pem"));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return {r->status, json_of(r.value())};
  }
  Answer issue(const std::string& cn, const std::string& service = "payments-api") {
    return call("POST", "/v1/certificates", {{"common_name", cn}, {"dns", {cn}}, {"service", service}, {"key", {{"type", "ec"}}}});
  }

  // A Vault read with the root token, as an operator (or Vault Agent) makes it.
  json vault_read(const std::string& path) {
    auto r = http("GET", vault_.url() + "/v1/" + path, "", vault_.root_token());
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  json delivered(const std::string& service, const std::string& id) {
    return vault_read("secret/data/certs/" + service + "/" + id).value("data", json::object());
  }

  VaultDouble vault_;
  TempDir dir_;
  std::string config_, admin_;
  std::unique_ptr<SignetProcess> host_;
};

// openssl's view of a PEM's public key: the certificate's, or the private key's.
std::string public_key_of(TempDir& dir, const std::string& pem, bool certificate) {
  const std::string file = dir.write("pem-" + std::to_string(std::hash<std::string>{}(pem)) + ".pem", pem);
  return run_command(certificate ? "openssl x509 -noout -pubkey -in " + file : "openssl pkey -pubout -in " + file).output;
}

// "a1b2c3" as Vault PKI writes serial numbers: "a1:b2:c3".
std::string colon_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out += (i ? ":" : "") + hex.substr(i, 2);
  return out;
}

TEST_F(Vault, AKeyMadeHereIsDeliveredWithItsCertificateAndChainAndARenewalIsVersionTwoAtTheSamePath) {
  configure();
  start_host();
  const Answer issued = issue("pay.example.com");
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host_->log();
  const std::string id = issued.body.value("id", "");

  // What a Vault Agent template reads: Vault PKI's field names.
  const json secret = delivered("payments-api", id);
  const json fields = secret.value("data", json::object());
  ASSERT_TRUE(fields.is_object() && !fields.empty()) << secret.dump() << vault_.log();
  EXPECT_EQ(secret["metadata"].value("version", 0), 1);
  EXPECT_EQ(fields.value("certificate", ""), issued.body.value("certificate", ""));
  EXPECT_EQ(public_key_of(dir_, fields.value("private_key", ""), false),
            public_key_of(dir_, fields.value("certificate", ""), true))
      << "the key does not match the certificate";
  EXPECT_EQ(fields.value("private_key_type", ""), "ec");
  ASSERT_TRUE(fields["ca_chain"].is_array() && fields["ca_chain"].size() == 2) << fields["ca_chain"].dump();
  EXPECT_EQ(fields.value("issuing_ca", ""), fields["ca_chain"][0].get<std::string>());
  EXPECT_EQ(fields.value("serial_number", ""), colon_hex(issued.body.value("serial_number", "")));
  EXPECT_GT(fields.value("expiration", 0LL), 0LL);
  EXPECT_EQ(fields["metadata"].value("certificate_id", ""), id);
  EXPECT_EQ(fields["metadata"].value("status", ""), "issued");
  // The chain Vault holds (issuing CA, then root, as the bundle download
  // gives it) verifies the certificate, as openssl sees it; its root is the CA's.
  const std::string leaf = dir_.write("leaf.pem", fields.value("certificate", ""));
  const std::string issuing = dir_.write("issuing.pem", fields["ca_chain"][0].get<std::string>());
  const std::string root = dir_.write("root.pem", fields["ca_chain"][1].get<std::string>());
  EXPECT_EQ(run_command("awk '/BEGIN/{n++} n==2' " + dir_.file("data/ca/chain.pem")).output, read_file(root));
  const auto verified = run_command("openssl verify -CAfile " + root + " -untrusted " + issuing + " " + leaf);
  EXPECT_EQ(verified.status, 0) << verified.output;
  // Described on the metadata endpoint too, for people browsing Vault.
  const json custom = vault_read("secret/metadata/certs/payments-api/" + id)["data"].value("custom_metadata", json::object());
  EXPECT_EQ(custom.value("certificate_id", ""), id) << custom.dump();
  EXPECT_EQ(custom.value("managed_by", ""), "signet");

  // A renewal: a new version at the same path, so the template re-renders.
  const Answer renewed = call("POST", "/v1/certificates/" + id + "/renew", json::object());
  ASSERT_EQ(renewed.status, 201) << renewed.body.dump();
  const std::string renewed_id = renewed.body.value("id", "");
  ASSERT_NE(renewed_id, id);
  const json second = delivered("payments-api", id);
  EXPECT_EQ(second["metadata"].value("version", 0), 2);
  EXPECT_EQ(second["data"].value("certificate", ""), renewed.body.value("certificate", ""));
  EXPECT_EQ(second["data"]["metadata"].value("certificate_id", ""), renewed_id);
  EXPECT_EQ(second["data"]["metadata"].value("lineage", ""), id);
  EXPECT_EQ(public_key_of(dir_, second["data"].value("private_key", ""), false),
            public_key_of(dir_, renewed.body.value("certificate", ""), true));
  EXPECT_TRUE(vault_read("secret/data/certs/payments-api/" + renewed_id).value("errors", json()).is_array())
      << "a renewal must not land on a path of its own";

  // Revoking the first certificate, replaced by an issued renewal, leaves the delivery as it is.
  ASSERT_EQ(call("POST", "/v1/certificates/" + id + "/revoke", {{"reason", "superseded"}}).status, 200);
  const json still = delivered("payments-api", id);
  EXPECT_EQ(still["metadata"].value("version", 0), 2);
  EXPECT_EQ(still["data"]["metadata"].value("certificate_id", ""), renewed_id);
  EXPECT_EQ(still["data"]["metadata"].value("status", ""), "issued");

  // Revoking the renewed certificate: version 3 says so, data and metadata endpoint alike.
  const Answer revoked = call("POST", "/v1/certificates/" + renewed_id + "/revoke", {{"reason", "superseded"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
  const json third = delivered("payments-api", id);
  EXPECT_EQ(third["metadata"].value("version", 0), 3);
  EXPECT_EQ(third["data"]["metadata"].value("status", ""), "revoked");
  EXPECT_EQ(third["data"]["metadata"].value("revocation_reason", ""), "superseded");
  EXPECT_EQ(third["data"].value("certificate", ""), renewed.body.value("certificate", ""));
  EXPECT_EQ(vault_read("secret/metadata/certs/payments-api/" + id)["data"]["custom_metadata"].value("status", ""), "revoked");

  // The keys live in Vault only: not in Signet's database, not in its files.
  // (The key's second line of base64: its first holds the PKCS#8 header every P-256 key shares.)
  const std::vector<std::string> key_lines = lines_of(fields.value("private_key", ""));
  ASSERT_GE(key_lines.size(), 4u);
  const std::string key_body = key_lines[2];
  EXPECT_FALSE(contains(database_contents(dir_, dir_.file("data/signet.db")), key_body));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.file("data")))
    if (entry.is_regular_file()) EXPECT_FALSE(contains(read_file(entry.path().string()), key_body)) << entry.path();
}

TEST_F(Vault, TheTokenIsRenewedMidRunAndARefusedRenewalOrAnExpiredTokenLeadsToOneFreshLogin) {
  configure({.token_ttl = "6s"});
  start_host();
  auto logins = [&] { return vault_.stats()["logins"].value("approle", 0); };
  ASSERT_EQ(issue("one.example.com").status, 201);
  const int first_logins = logins();  // one per plugin instance that has called Vault
  EXPECT_GE(first_logins, 1);
  std::this_thread::sleep_for(4500ms);  // past two thirds of the 6 s TTL
  ASSERT_EQ(issue("two.example.com").status, 201);
  EXPECT_GE(vault_.stats().value("renewals", 0), 1);
  EXPECT_EQ(logins(), first_logins) << "a renewable token was replaced instead of renewed";

  vault_.control("POST", "/_double/refuse-renewal", {{"on", true}});
  std::this_thread::sleep_for(4500ms);
  ASSERT_EQ(issue("three.example.com").status, 201) << host_->log();
  EXPECT_GE(vault_.stats().value("renewals_refused", 0), 1);
  EXPECT_EQ(logins(), first_logins + 1) << "a refused renewal leads to exactly one fresh login";

  // A token Vault expired early (revoked, or a clock jump): 403, one re-login, the call retried.
  vault_.control("POST", "/_double/refuse-renewal", {{"on", false}});
  vault_.control("POST", "/_double/expire-tokens", json::object());
  const Answer after = issue("four.example.com");
  EXPECT_EQ(after.status, 201) << after.body.dump() << host_->log();
  EXPECT_EQ(logins(), first_logins + 2);
  EXPECT_FALSE(contains(host_->log(), std::getenv("SIGNET_VAULT_SECRET_ID"))) << "a secret id reached the log";
}

TEST_F(Vault, ASealedVaultKeepsRequestsWaitingWithoutARetryStormAndTheyFinishWhenItIsUnsealed) {
  configure();
  start_host();
  const Answer before = issue("before.example.com");  // logged in, working
  ASSERT_EQ(before.status, 201);
  vault_.control("DELETE", "/_double/stats");
  vault_.control("POST", "/_double/seal");
  const Answer waiting = issue("sealed.example.com");
  ASSERT_EQ(waiting.status, 202) << waiting.body.dump();
  const std::string request_id = waiting.body.value("request_id", "");
  // A revocation: recorded at once (OCSP and CRL do not wait for Vault), its delivery once unsealed.
  const std::string before_id = before.body.value("id", "");
  const Answer revoking = call("POST", "/v1/certificates/" + before_id + "/revoke", {{"reason", "key_compromise"}});
  ASSERT_EQ(revoking.status, 202) << revoking.body.dump();
  EXPECT_EQ(call("GET", "/v1/certificates/" + before_id).body.value("status", ""), "revoked");
  std::this_thread::sleep_for(3s);
  const int refused_while_sealed = vault_.stats().value("status_503", 0);
  vault_.control("POST", "/_double/unseal");
  const json done = wait_for_request(host_->url(), request_id, admin_, dir_.file("data/ca.pem"), 60);
  EXPECT_EQ(done.value("status", ""), "succeeded") << done.dump() << host_->log();
  // About 4 s sealed, two requests: the client tries each call 4 times with
  // back-off, the runner retries the step with its own. Dozens, not thousands.
  EXPECT_GT(refused_while_sealed, 0);
  EXPECT_LE(refused_while_sealed, 40) << vault_.stats().dump();
  std::cout << "503s while sealed: " << refused_while_sealed << "\n";
  const std::string id = done.value("certificate_id", "");
  EXPECT_FALSE(delivered("payments-api", id).value("data", json::object()).empty()) << "delivered once unsealed";
  const json revoked = wait_for_request(host_->url(), revoking.body.value("request_id", ""), admin_, dir_.file("data/ca.pem"), 60);
  EXPECT_EQ(revoked.value("status", ""), "succeeded") << revoked.dump();
  EXPECT_EQ(delivered("payments-api", before_id)["data"]["metadata"].value("status", ""), "revoked");
}

TEST_F(Vault, APolicyThatGrantsDataOnlyIsEnough) {
  configure({.policy = kDataOnlyPolicy});
  start_host();
  const Answer issued = issue("data-only.example.com", "shop");
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host_->log();
  const std::string id = issued.body.value("id", "");
  EXPECT_EQ(delivered("shop", id)["data"].value("certificate", ""), issued.body.value("certificate", ""));
  const Answer renewed = call("POST", "/v1/certificates/" + id + "/renew", json::object());
  ASSERT_EQ(renewed.status, 201) << renewed.body.dump() << host_->log();
  EXPECT_EQ(delivered("shop", id)["metadata"].value("version", 0), 2);
  // No custom metadata (the policy refuses it), said once in the log.
  EXPECT_TRUE(vault_read("secret/metadata/certs/shop/" + id)["data"].value("custom_metadata", json()).is_null());
  std::this_thread::sleep_for(200ms);
  const std::string log = host_->log();
  const auto first = log.find("does not let Signet write custom metadata");
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("does not let Signet write custom metadata", first + 1), std::string::npos) << "said once only";
}

TEST_F(Vault, EveryCaKeyLivesInTransitAndOpenSslVerifiesWhatTheySign) {
  // An ECDSA root and an RSA issuing key, made in Transit by `signet ca init`.
  configure({.ca_keys = "transit",
             .ca_config = "        root: {common_name: Transit Root, key: {type: ecdsa, curve: P-384}}\n"
                          "        issuing: {common_name: Transit Issuing, key: {type: rsa, bits: 2048}}\n",
             .top = "revocation:\n  listen: 127.0.0.1:0\n  ocsp: {keys: transit}\n"});
  const auto init = run_signet(dir_, "ca init --config " + config_);
  ASSERT_EQ(init.status, 0) << init.err << init.out;
  start_host();

  const auto csr = make_csr(dir_, "transit.example.com", "DNS:transit.example.com");
  const Answer issued = call("POST", "/v1/certificates", {{"csr", csr}});
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host_->log();
  const std::string leaf = dir_.write("leaf.pem", issued.body.value("certificate", ""));
  const std::string chain = dir_.file("data/ca/chain.pem");
  run_command("awk '/BEGIN/{n++} n==1' " + chain + " > " + dir_.file("issuing.pem") + "; awk '/BEGIN/{n++} n==2' " +
              chain + " > " + dir_.file("root.pem"));
  const auto verified = run_command("openssl verify -CAfile " + dir_.file("root.pem") + " -untrusted " +
                                    dir_.file("issuing.pem") + " " + leaf);
  EXPECT_EQ(verified.status, 0) << verified.output;

  // OCSP good, then revoked, signed by the responder whose key is in Transit; the CRL too.
  const std::string trust = dir_.write("trust.pem", read_file(dir_.file("root.pem")) + read_file(dir_.file("issuing.pem")));
  auto ask = [&] {
    return run_command("openssl ocsp -issuer " + dir_.file("issuing.pem") + " -cert " + leaf + " -url " +
                       host_->status_url() + "/pki/corp/ocsp -CAfile " + trust + " -resp_text -respout " +
                       dir_.file("response.der") + " 2>&1")
        .output;
  };
  const std::string good = ask();
  EXPECT_TRUE(contains(good, "Response verify OK")) << good;
  EXPECT_TRUE(contains(good, leaf + ": good")) << good;
  ASSERT_EQ(call("POST", "/v1/certificates/" + issued.body.value("id", "") + "/revoke", {{"reason", "key_compromise"}}).status, 200);
  std::string answer;
  for (int i = 0; i < 50 && !contains(answer, ": revoked"); ++i) {
    std::this_thread::sleep_for(100ms);
    answer = ask();
  }
  EXPECT_TRUE(contains(answer, "Response verify OK")) << answer;
  EXPECT_TRUE(contains(answer, leaf + ": revoked")) << answer;
  std::string crl_text;
  for (int i = 0; i < 50 && !contains(crl_text, "Key Compromise"); ++i) {
    const auto crl = http("GET", host_->status_url() + "/pki/corp/crl");
    ASSERT_TRUE(crl && crl.value().status == 200);
    dir_.write("crl.der", crl.value().body);
    crl_text = run_command("openssl crl -inform DER -in " + dir_.file("crl.der") + " -CAfile " + trust + " -noout -text 2>&1").output;
    if (!contains(crl_text, "Key Compromise")) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(contains(crl_text, "verify OK")) << crl_text;

  // Transit holds the three keys (root, issuing, OCSP signer), none exportable;
  // their public keys are the certificates'.
  auto listed = http("LIST", vault_.url() + "/v1/transit/keys", "", vault_.root_token());
  ASSERT_TRUE(listed);
  const json names = json::parse(listed->body, nullptr, false)["data"].value("keys", json::array());
  ASSERT_EQ(names.size(), 3u) << listed->body;
  std::vector<std::string> transit_public_keys;
  for (const auto& name : names) {
    const json key = vault_read("transit/keys/" + name.get<std::string>())["data"];
    EXPECT_FALSE(key.value("exportable", true)) << key.dump();
    EXPECT_FALSE(key.value("allow_plaintext_backup", true)) << key.dump();
    transit_public_keys.push_back(key["keys"]["1"].value("public_key", ""));
  }
  run_command("openssl ocsp -respin " + dir_.file("response.der") + " -noverify -resp_text | awk '/BEGIN CERT/,/END CERT/' > " +
              dir_.file("responder.pem"));
  for (const char* certificate : {"root.pem", "issuing.pem", "responder.pem"}) {
    const std::string expected = public_key_of(dir_, read_file(dir_.file(certificate)), true);
    EXPECT_NE(std::find(transit_public_keys.begin(), transit_public_keys.end(), expected), transit_public_keys.end())
        << certificate << " has a key that is not in Transit:\n" << expected;
  }

  // A rotated issuing key does not break the CA: it keeps signing with the
  // version its certificate holds.
  for (const auto& name : names) http("POST", vault_.url() + "/v1/transit/keys/" + name.get<std::string>() + "/rotate", "{}", vault_.root_token());
  const Answer after_rotation = call("POST", "/v1/certificates", {{"csr", make_csr(dir_, "rotated.example.com", "DNS:rotated.example.com")}});
  ASSERT_EQ(after_rotation.status, 201) << after_rotation.body.dump();
  const std::string second = dir_.write("second.pem", after_rotation.body.value("certificate", ""));
  const auto still = run_command("openssl verify -CAfile " + dir_.file("root.pem") + " -untrusted " + dir_.file("issuing.pem") + " " + second);
  EXPECT_EQ(still.status, 0) << still.output;

  // No private key file in the data directory but the host's own HTTPS key.
  int private_key_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.file("data")))
    if (entry.is_regular_file() && contains(read_file(entry.path().string()), "PRIVATE KEY")) ++private_key_files;
  EXPECT_LE(private_key_files, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("data/keys")));
}

TEST_F(Vault, AStoresMasterKeyIsATransitKeyThatNeverLeavesVault) {
  // store-local keeps the host-made keys, its data keys wrapped by an RSA key made in Transit on first start.
  configure({.ca_keys = "transit",
             .ca_config = "        root: {common_name: Transit Root, key: {type: ecdsa, curve: P-256}}\n"
                          "        issuing: {common_name: Transit Issuing, key: {type: ecdsa, curve: P-256}}\n",
             .store = "    vault: {plugin: store-local, config: {path: " + dir_.path() +
                      "/data/store.db, master_key: {keys: transit, key_id: signet-store-master}}}\n"});
  start_host();
  const Answer issued = issue("wrapped.example.com");
  ASSERT_EQ(issued.status, 201) << issued.body.dump() << host_->log();
  const json master = vault_read("transit/keys/signet-store-master")["data"];
  EXPECT_EQ(master.value("type", ""), "rsa-3072") << master.dump();
  EXPECT_FALSE(master.value("exportable", true));
  // After a restart the bundle is read back through Transit's decrypt.
  EXPECT_EQ(host_->stop(), 0);
  host_.reset();
  start_host();
  const Answer bundle = call("GET", "/v1/certificates/" + issued.body.value("id", "") + "/bundle");
  ASSERT_EQ(bundle.status, 200) << bundle.body.dump() << host_->log();
  EXPECT_EQ(bundle.body.value("private_key", ""), issued.body.value("private_key", ""));
  EXPECT_GT(vault_.stats()["calls"].value("POST transit/decrypt", 0), 0) << vault_.stats().dump();
  const std::string key_line = lines_of(issued.body.value("private_key", ""))[2];
  EXPECT_FALSE(contains(read_file(dir_.file("data/store.db")), key_line)) << "stored in clear";
}

TEST_F(Vault, ASecretSignetDidNotWriteIsNeverOverwritten) {
  configure({.store_config = ", delivery: {path: 'apps/{service}/tls'}"});
  start_host();
  // Someone's own secret where the template points.
  auto theirs = http("POST", vault_.url() + "/v1/secret/data/apps/billing/tls", R"({"data": {"certificate": "mine"}})",
                     vault_.root_token());
  ASSERT_TRUE(theirs && theirs->status == 200) << (theirs ? theirs->body : "");
  const Answer refused = issue("billing.example.com", "billing");
  EXPECT_GE(refused.status, 400) << refused.body.dump();
  EXPECT_NE(refused.body.dump().find("did not deliver"), std::string::npos) << refused.body.dump();
  const json kept = vault_read("secret/data/apps/billing/tls")["data"];
  EXPECT_EQ(kept["metadata"].value("version", 0), 1);
  EXPECT_EQ(kept["data"].value("certificate", ""), "mine");
  // Another service's path is Signet's own: delivered there.
  const Answer issued = issue("shop.example.com", "shop");
  ASSERT_EQ(issued.status, 201) << issued.body.dump();
  EXPECT_EQ(vault_read("secret/data/apps/shop/tls")["data"]["data"].value("certificate", ""), issued.body.value("certificate", ""));
}

}  // namespace
}  // namespace signet::test
