// Keys made by the host, bundle downloads, renewal and revocation in dev
// mode over HTTPS. Downloads go through the curl CLI and are checked with
// openssl, certtool and unzip, not with our own code.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "postgres_server.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class Lifecycle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    start();
  }
  static void TearDownTestSuite() {
    delete host_;
    delete dir_;
  }
  static void start() {
    host_ = new SignetProcess(dev_serve_args(*dir_, dir_->file("dev")), dir_->file("dev.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
    token_ = trimmed(read_file(dir_->file("dev/admin-token")));
  }

  static json call(const std::string& method, const std::string& path, const json& body, int expected) {
    auto r = http(method, host_->url() + path, body.is_null() ? "" : body.dump(), token_, ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    EXPECT_EQ(r.value().status, expected) << method << " " << path << ": " << r.value().body;
    return json_of(r.value());
  }
  static json post(const std::string& path, const json& body, int expected) { return call("POST", path, body, expected); }
  static json get(const std::string& path) { return call("GET", path, nullptr, 200); }

  // Downloads with the curl CLI into dir_/<file>; returns the HTTP status.
  static int download(const std::string& path, const std::string& file, const std::string& extra = "") {
    const auto r = run_command("curl -s -o " + dir_->file(file) + " -w '%{http_code}' --cacert " + ca_file() +
                               " -H 'Authorization: Bearer " + token_ + "' " + extra + " '" + host_->url() + path + "'");
    return std::atoi(r.output.c_str());
  }

  static std::string sh(const std::string& command) {
    const auto r = run_command("cd " + dir_->path() + " && " + command);
    EXPECT_EQ(r.status, 0) << command << "\n" << r.output;
    return r.output;
  }

  // The SubjectPublicKeyInfo of a key or certificate file, as openssl prints it.
  static std::string public_key_of_key(const std::string& file) { return sh("openssl pkey -in " + file + " -pubout"); }
  static std::string public_key_of_cert(const std::string& file) { return sh("openssl x509 -in " + file + " -pubkey -noout"); }

  static std::string openssl_csr(const std::string& key_file, const std::string& cn, const std::string& san) {
    sh("test -f " + key_file + " || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key_file);
    sh("openssl req -new -key " + key_file + " -subj '/CN=" + cn + "' -addext subjectAltName=" + san + " -out csr.pem");
    return read_file(dir_->file("csr.pem"));
  }

  static std::string ca_file() { return dir_->file("dev/ca.pem"); }
  static TempDir* dir_;
  static SignetProcess* host_;
  static std::string token_;
};

TempDir* Lifecycle::dir_ = nullptr;
SignetProcess* Lifecycle::host_ = nullptr;
std::string Lifecycle::token_;

TEST_F(Lifecycle, ServerMadeKeyIsHandedOutOnceAndNeverStoredInClear) {
  const json issued = post("/v1/certificates",
                           {{"common_name", "made.test"}, {"sans", {{"dns", {"made.test"}}}},
                            {"key", {{"type", "ecdsa"}, {"curve", "P-256"}}}},
                           201);
  const std::string key = issued.value("private_key", "");
  ASSERT_TRUE(contains(key, "BEGIN PRIVATE KEY")) << issued.dump();
  dir_->write("made.key", key);
  dir_->write("made.crt", issued.value("certificate", ""));
  EXPECT_EQ(public_key_of_key("made.key"), public_key_of_cert("made.crt"));
  EXPECT_TRUE(contains(sh("openssl x509 -in made.crt -noout -text"), "ASN1 OID: prime256v1"));

  const json again = get("/v1/certificates/" + issued.value("id", ""));
  EXPECT_FALSE(again.contains("private_key")) << again.dump();

  // Neither the metadata database (with its WAL) nor the secret store holds
  // the key's bytes in clear (on PostgreSQL the store's tables are in the
  // same database, so its dump covers both).
  std::string body;
  for (const auto& line : lines_of(key))
    if (!contains(line, "-----")) body += line;
  const std::string probe = body.substr(body.size() / 2, 24);
  const std::string dev = dir_->file("dev");
  EXPECT_EQ(run_command("grep -l -F '" + probe + "' " + dir_->file("made.key")).status, 0) << "the probe itself works";
  const std::string metadata = database_contents(*dir_, dev + "/signet.db");
  ASSERT_NE(metadata.find("certificates"), std::string::npos) << "the database was read";
  EXPECT_EQ(metadata.find(probe), std::string::npos) << "key bytes in clear in the metadata database";
  EXPECT_EQ(metadata.find("PRIVATE KEY"), std::string::npos);
  if (testing_postgres()) {
    EXPECT_NE(metadata.find("secret_versions"), std::string::npos) << "store-postgres keeps the key in this database";
  } else {
    const auto found = run_command("grep -l -F '" + probe + "' " + dev + "/secrets.db*");
    EXPECT_EQ(found.output, "") << "key bytes in clear in " << found.output;
    EXPECT_EQ(run_command("grep -l 'PRIVATE KEY' " + dev + "/secrets.db*").output, "");
    EXPECT_EQ(trimmed(sh("stat -c %a " + dir_->file("dev/secrets.db"))), "600");
  }
  if (!testing_postgres())
    EXPECT_EQ(trimmed(sh("stat -c %a " + dir_->file("dev/signet.db") + " " + dir_->file("dev/signet.db-wal"))), "600\n600");
  EXPECT_EQ(trimmed(sh("stat -c %a " + dir_->file("dev/store.key"))), "600");
}

TEST_F(Lifecycle, RsaAndEd25519KeysMadeOnTheServerVerify) {
  const json rsa = post("/v1/certificates", {{"common_name", "rsa.test"}, {"key", {{"type", "rsa"}, {"bits", 2048}}}}, 201);
  dir_->write("rsa.key", rsa.value("private_key", ""));
  dir_->write("rsa.crt", rsa.value("certificate", ""));
  dir_->write("rsa.chain", rsa.at("chain").at(0).get<std::string>());
  EXPECT_TRUE(contains(sh("openssl pkey -in rsa.key -noout -text"), "Private-Key: (2048 bit, 2 primes)"));
  sh("openssl verify -CAfile dev/ca.pem -untrusted rsa.chain -purpose sslserver rsa.crt");
  EXPECT_TRUE(contains(sh("openssl x509 -in rsa.crt -noout -text"), "Digital Signature, Key Encipherment"));

  const json ed = post("/v1/certificates", {{"common_name", "ed.test"}, {"key", {{"type", "ed25519"}}}}, 201);
  dir_->write("ed.key", ed.value("private_key", ""));
  dir_->write("ed.crt", ed.value("certificate", ""));
  EXPECT_EQ(public_key_of_key("ed.key"), public_key_of_cert("ed.crt"));
}

TEST_F(Lifecycle, BadKeyRequestsAreRefusedWithNothingStored) {
  const int before = get("/v1/certificates?limit=1000").at("items").size();
  EXPECT_EQ(post("/v1/certificates", {{"common_name", "x.test"}, {"key", {{"type", "dsa"}}}}, 400)["error"]["code"],
            "invalid_request");
  EXPECT_EQ(post("/v1/certificates", {{"common_name", "x.test"}, {"key", {{"type", "rsa"}, {"bits", 1024}}}}, 400)["error"]["code"],
            "key_not_allowed");
  EXPECT_EQ(post("/v1/certificates", {{"common_name", "x.test"}, {"key", {{"type", "ecdsa"}, {"curve", "P-521"}}}}, 400)["error"]["code"],
            "key_not_allowed");
  EXPECT_EQ(post("/v1/certificates", {{"common_name", "x.test"}, {"key", "rsa"}}, 400)["error"]["code"], "invalid_request");
  EXPECT_EQ(post("/v1/certificates",
                 {{"key", {{"type", "ed25519"}}}, {"csr", openssl_csr("bad.key", "x.test", "DNS:x.test")}}, 400)["error"]["code"],
            "invalid_request");
  EXPECT_EQ(get("/v1/certificates?limit=1000").at("items").size(), static_cast<std::size_t>(before));
}

TEST_F(Lifecycle, EveryBundleFormatHoldsAMatchingKeyAndAVerifyingChain) {
  const json issued = post("/v1/certificates",
                           {{"common_name", "bundle.test"}, {"sans", {{"dns", {"bundle.test", "www.bundle.test"}}}},
                            {"key", {{"type", "ecdsa"}, {"curve", "P-384"}}}},
                           201);
  const std::string id = issued.value("id", "");
  const std::string base = "/v1/certificates/" + id + "/bundle";

  const json bundle = get(base);
  EXPECT_EQ(bundle.value("private_key", ""), issued.value("private_key", ""));
  ASSERT_EQ(bundle.at("ca_chain").size(), 2u) << "issuing CA and root";
  EXPECT_EQ(bundle.at("ca_chain").at(1).get<std::string>(), read_file(ca_file()));

  ASSERT_EQ(download(base + "?format=pem", "b.pem"), 200);
  EXPECT_EQ(sh("grep -c 'BEGIN CERTIFICATE' b.pem"), "3\n");
  EXPECT_EQ(sh("grep -c 'BEGIN PRIVATE KEY' b.pem"), "1\n");

  ASSERT_EQ(download(base + "?format=zip", "b.zip"), 200);
  sh("rm -rf z && mkdir z && cd z && unzip -q ../b.zip");
  EXPECT_EQ(sh("cd z && ls"), "ca-chain.crt\nserver.crt\nserver.key\n");
  EXPECT_EQ(trimmed(sh("stat -c %a z/server.key")), "600");
  EXPECT_EQ(public_key_of_key("z/server.key"), public_key_of_cert("z/server.crt"));
  sh("openssl verify -CAfile dev/ca.pem -untrusted z/ca-chain.crt -purpose sslserver z/server.crt");
  const std::string gnutls = sh("cat z/server.crt z/ca-chain.crt > z/full.pem && certtool --verify "
                                "--load-ca-certificate dev/ca.pem --infile z/full.pem");
  EXPECT_TRUE(contains(gnutls, "Chain verification output: Verified")) << gnutls;

  ASSERT_EQ(download(base + "?format=p12", "b.p12", "-H 'X-Signet-Bundle-Password: correct horse'"), 200);
  const std::string info = sh("openssl pkcs12 -in b.p12 -passin 'pass:correct horse' -info -nodes 2>&1");
  EXPECT_TRUE(contains(info, "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC")) << info;
  EXPECT_TRUE(contains(info, "MAC: sha256")) << info;
  sh("openssl pkcs12 -in b.p12 -passin 'pass:correct horse' -nocerts -nodes -out p12.key");
  EXPECT_EQ(public_key_of_key("p12.key"), public_key_of_cert("z/server.crt"));
  EXPECT_NE(run_command("openssl pkcs12 -in " + dir_->file("b.p12") + " -passin pass:wrong -nodes").status, 0);
  ASSERT_EQ(download(base + "?format=p12&password=via-query", "q.p12"), 200);
  sh("openssl pkcs12 -in q.p12 -passin pass:via-query -nodes -nokeys -out /dev/null");

  EXPECT_EQ(download(base + "?format=p12", "nopass.json"), 400);
  EXPECT_EQ(download(base + "?format=docx", "bad.json"), 400);
  EXPECT_EQ(download("/v1/certificates/crt_missing/bundle", "missing.json"), 404);
}

TEST_F(Lifecycle, BundleOfACsrCertificateHasNoKey) {
  const json issued = post("/v1/certificates", {{"csr", openssl_csr("own.key", "own.test", "DNS:own.test")}}, 201);
  EXPECT_FALSE(issued.contains("private_key"));
  const std::string base = "/v1/certificates/" + issued.value("id", "") + "/bundle";
  EXPECT_TRUE(get(base).at("private_key").is_null());
  ASSERT_EQ(download(base + "?format=zip", "own.zip"), 200);
  EXPECT_EQ(sh("unzip -Z1 own.zip | sort"), "ca-chain.crt\nserver.crt\n");
}

TEST_F(Lifecycle, RenewalKeepsNamesWithANewKeyAndSerial) {
  const json old = post("/v1/certificates",
                        {{"common_name", "renew.test"}, {"sans", {{"dns", {"renew.test", "api.renew.test"}}}},
                         {"ttl", "48h"}, {"metadata", {{"ticket", "RITM0001"}}}, {"key", {{"type", "ecdsa"}}}},
                        201);
  const std::string old_id = old.value("id", "");
  const json renewed = post("/v1/certificates/" + old_id + "/renew", nullptr, 201);
  EXPECT_NE(renewed.value("serial", ""), old.value("serial", ""));
  EXPECT_NE(renewed.value("private_key", ""), old.value("private_key", ""));
  dir_->write("renewed.crt", renewed.value("certificate", ""));
  dir_->write("renewed.key", renewed.value("private_key", ""));
  EXPECT_EQ(public_key_of_key("renewed.key"), public_key_of_cert("renewed.crt"));
  const std::string text = sh("openssl x509 -in renewed.crt -noout -text -dates");
  EXPECT_TRUE(contains(text, "DNS:api.renew.test, DNS:renew.test") || contains(text, "DNS:renew.test, DNS:api.renew.test")) << text;
  EXPECT_TRUE(contains(text, "Subject: CN = renew.test")) << text;

  const json old_now = get("/v1/certificates/" + old_id);
  EXPECT_EQ(old_now.value("status", ""), "active") << "the old certificate stays valid";
  EXPECT_EQ(old_now.value("renewed_by", ""), renewed.value("id", ""));
  const json new_now = get("/v1/certificates/" + renewed.value("id", ""));
  EXPECT_EQ(new_now.value("renews", ""), old_id);
  EXPECT_EQ(new_now.at("metadata").value("ticket", ""), "RITM0001");

  // A replaced certificate is not renewed twice: its successor is.
  EXPECT_EQ(post("/v1/certificates/" + old_id + "/renew", nullptr, 409)["error"]["code"], "already_renewed");
  const std::string current_id = renewed.value("id", "");

  // With a CSR: its key is used; names beyond the old ones are refused.
  const json with_csr = post("/v1/certificates/" + current_id + "/renew",
                             {{"csr", openssl_csr("renew-own.key", "renew.test", "DNS:renew.test,DNS:api.renew.test")}}, 201);
  dir_->write("with-csr.crt", with_csr.value("certificate", ""));
  EXPECT_EQ(public_key_of_cert("with-csr.crt"), public_key_of_key("renew-own.key"));
  const std::string newest = with_csr.value("id", "");
  EXPECT_EQ(post("/v1/certificates/" + newest + "/renew",
                 {{"csr", openssl_csr("renew-own.key", "renew.test", "DNS:renew.test,DNS:evil.test")}}, 400)["error"]["code"],
            "csr_mismatch");
  EXPECT_EQ(post("/v1/certificates/" + newest + "/renew", {{"common_name", "other.test"}}, 400)["error"]["code"],
            "invalid_request");
}

TEST_F(Lifecycle, RevocationIsIdempotentAndCanCoverEveryCertificateOfAKey) {
  const std::string csr = openssl_csr("shared.key", "shared.test", "DNS:shared.test");
  const std::string a = post("/v1/certificates", {{"csr", csr}}, 201).value("id", "");
  const std::string b = post("/v1/certificates", {{"csr", csr}}, 201).value("id", "");
  const std::string other = post("/v1/certificates", {{"csr", openssl_csr("other.key", "shared.test", "DNS:shared.test")}}, 201)
                                .value("id", "");

  EXPECT_EQ(post("/v1/certificates/" + a + "/revoke", {{"reason", "bogus"}}, 400)["error"]["code"], "invalid_reason");
  EXPECT_EQ(post("/v1/certificates/" + a + "/revoke", {{"reason", "superseded"}, {"all_with_same_key", true}}, 400)["error"]["code"],
            "invalid_request");
  EXPECT_EQ(post("/v1/certificates/" + a + "/revoke", {{"invalidity_date", "2100-01-01T00:00:00Z"}}, 400)["error"]["code"],
            "invalid_request");  // not in the future
  EXPECT_EQ(post("/v1/certificates/" + a + "/revoke", {{"invalidity_date", "2999-01-01T00:00:00Z"}}, 400)["error"]["code"],
            "invalid_request");  // past what a time point holds
  EXPECT_EQ(post("/v1/certificates/" + a + "/revoke", {{"invalidity_date", "yesterday"}}, 400)["error"]["code"],
            "invalid_request");
  EXPECT_EQ(get("/v1/certificates/" + a).value("status", ""), "active") << "a refused revocation changes nothing";

  const json first = post("/v1/certificates/" + a + "/revoke", {{"reason", "key_compromise"}, {"all_with_same_key", true}}, 200);
  EXPECT_EQ(first.value("status", ""), "revoked");
  EXPECT_EQ(first.value("revocation_reason", ""), "key_compromise");
  EXPECT_EQ(first.at("revoked_with_same_key"), json::array({b}));
  EXPECT_EQ(get("/v1/certificates/" + b).value("status", ""), "revoked");
  EXPECT_EQ(get("/v1/certificates/" + other).value("status", ""), "active") << "another key is not affected";

  const json twice = post("/v1/certificates/" + a + "/revoke", {{"reason", "superseded"}}, 200);
  EXPECT_EQ(twice.value("revoked_at", ""), first.value("revoked_at", ""));
  EXPECT_EQ(twice.value("revocation_reason", ""), "key_compromise");

  const json revoked = get("/v1/certificates?status=revoked&common_name=shared.test");
  EXPECT_EQ(revoked.at("items").size(), 2u);
  EXPECT_EQ(post("/v1/certificates/" + a + "/renew", nullptr, 409)["error"]["code"], "conflict");
  EXPECT_EQ(post("/v1/certificates/crt_nope/revoke", {{"reason", "unspecified"}}, 404)["error"]["code"], "not_found");

  // The audit log names the reason and both certificates.
  const auto audit = query_database(*dir_, dir_->file("dev/signet.db"),
                                    "SELECT detail FROM audit_log WHERE action = 'certificate.revoke'");
  EXPECT_TRUE(contains(audit.output, "key_compromise") && contains(audit.output, b)) << audit.output;
}

TEST_F(Lifecycle, CertificatesKeysAndRequestsSurviveARestart) {
  const json issued = post("/v1/certificates", {{"common_name", "restart.test"}, {"key", {{"type", "ecdsa"}}}}, 201);
  const std::string id = issued.value("id", "");
  EXPECT_EQ(host_->stop(), 0);
  delete host_;
  host_ = nullptr;
  start();
  const json after = get("/v1/certificates/" + id);
  EXPECT_EQ(after.value("serial", ""), issued.value("serial", ""));
  EXPECT_EQ(get("/v1/certificates/" + id + "/bundle").value("private_key", ""), issued.value("private_key", ""));
  const json request = get("/v1/requests/" + issued.value("request_id", ""));
  EXPECT_EQ(request.value("status", ""), "succeeded");
  EXPECT_EQ(request.value("certificate_id", ""), id);
}

}  // namespace
}  // namespace signet::test
