// Issuance from the internal CA in dev mode, checked by OpenSSL and GnuTLS
// (never by re-reading our own structures).
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "postgres_server.hpp"

namespace signet::test {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// One host for the suite: starting it creates a CA, which is the slow part.
class Issuance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    host_ = new SignetProcess(dev_serve_args(*dir_, dir_->file("dev")), dir_->file("dev.log"));
    ASSERT_TRUE(host_->started()) << host_->log();
    token_ = trimmed(read_file(dir_->file("dev/admin-token")));
  }
  static void TearDownTestSuite() {
    delete host_;
    delete dir_;
  }

  static nlohmann::json post(const std::string& path, const nlohmann::json& body, int expected) {
    auto r = http("POST", host_->url() + path, body.dump(), token_, ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    EXPECT_EQ(r.value().status, expected) << r.value().body;
    return json_of(r.value());
  }

  // Makes a key and CSR with the openssl CLI; returns the CSR.
  static std::string csr(const std::string& name, const std::string& newkey, const std::string& subj,
                         const std::string& san) {
    const std::string key = dir_->file(name + ".key"), out = dir_->file(name + ".csr");
    const auto made = run_command("openssl req -new -newkey " + newkey + " -nodes -keyout " + key + " -out " + out +
                                  " -subj '" + subj + "'" + (san.empty() ? "" : " -addext subjectAltName=" + san));
    EXPECT_EQ(made.status, 0) << made.output;
    return read_file(out);
  }

  // Writes the leaf, the chain without the root, and the root (ca.pem).
  static void save(const std::string& name, const nlohmann::json& issued) {
    dir_->write(name + ".crt", issued.value("certificate", ""));
    std::string chain;
    for (const auto& pem : issued.value("chain", nlohmann::json::array())) chain += pem.get<std::string>();
    dir_->write(name + ".chain", chain);
  }

  static std::string text_of(const std::string& name) {
    return run_command("openssl x509 -noout -text -in " + dir_->file(name + ".crt")).output;
  }

  static std::string ca_file() { return dir_->file("dev/ca.pem"); }
  static TempDir* dir_;
  static SignetProcess* host_;
  static std::string token_;
};

TempDir* Issuance::dir_ = nullptr;
SignetProcess* Issuance::host_ = nullptr;
std::string Issuance::token_;

TEST_F(Issuance, EcdsaCsrVerifiesWithOpenSslAndGnuTls) {
  const auto issued = post("/v1/certificates",
                           {{"csr", csr("ec", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=app.example.com",
                                        "DNS:app.example.com,DNS:www.app.example.com,IP:10.0.0.5")},
                            {"ttl", "720h"}, {"metadata", {{"requester", "jdoe"}}}},
                           201);
  EXPECT_EQ(issued.value("status", ""), "active");
  EXPECT_EQ(issued.value("common_name", ""), "app.example.com");
  save("ec", issued);
  const auto openssl = run_command("openssl verify -CAfile " + ca_file() + " -untrusted " + dir_->file("ec.chain") +
                                   " -purpose sslserver " + dir_->file("ec.crt"));
  EXPECT_EQ(openssl.status, 0) << openssl.output;
  const auto gnutls = run_command("cat " + dir_->file("ec.crt") + " " + dir_->file("ec.chain") + " > " +
                                  dir_->file("ec.bundle") + " && certtool --verify --load-ca-certificate " + ca_file() +
                                  " --infile " + dir_->file("ec.bundle"));
  EXPECT_EQ(gnutls.status, 0) << gnutls.output;
  EXPECT_TRUE(contains(gnutls.output, "Chain verification output: Verified")) << gnutls.output;

  const std::string text = text_of("ec");
  EXPECT_TRUE(contains(text, "Signature Algorithm: ecdsa-with-SHA256")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Basic Constraints: critical\n                CA:FALSE")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Key Usage: critical\n                Digital Signature\n")) << text;
  EXPECT_TRUE(contains(text, "TLS Web Server Authentication, TLS Web Client Authentication")) << text;
  EXPECT_TRUE(contains(text, "DNS:app.example.com, DNS:www.app.example.com, IP Address:10.0.0.5")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Subject Key Identifier")) << text;
  EXPECT_TRUE(contains(text, "X509v3 Authority Key Identifier")) << text;
}

TEST_F(Issuance, SerialIsPositiveRandomAndRecordedInTheLedgerBeforeSigning) {
  const auto a = post("/v1/certificates", {{"csr", csr("s1", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=s1.test", "")}}, 201);
  const auto b = post("/v1/certificates", {{"csr", csr("s2", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=s2.test", "")}}, 201);
  save("s1", a);
  const std::string serial = a.value("serial", "");
  EXPECT_NE(serial, b.value("serial", ""));
  EXPECT_GE(serial.size(), 30u) << "about 128 bits";
  EXPECT_EQ(serial.size() % 2, 0u) << "whole octets";
  std::string printed = trimmed(run_command("openssl x509 -noout -serial -in " + dir_->file("s1.crt")).output);
  for (auto& c : printed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(printed, "serial=" + serial) << "the API's serial is the certificate's";
  const auto ledger = query_database(*dir_, dir_->file("dev/signet.db"),
                                     "SELECT COUNT(*) FROM issuance_ledger WHERE serial = '" + serial + "'");
  EXPECT_EQ(ledger.output, "1\n");
}

// The issuing chain is kept once (migration 22), not in every row, and
// every certificate still comes back with it, verifiable by OpenSSL. On
// PostgreSQL the row keeps its own copy too, for hosts of the previous
// release during a rolling upgrade (docs/upgrading.md).
TEST_F(Issuance, TheChainIsStoredOnceAndServedWithEveryCertificateAndTheCsrIsNotKept) {
  std::vector<std::string> ids;
  for (const char* name : {"once1", "once2", "once3"}) {
    const auto issued = post("/v1/certificates",
                             {{"csr", csr(name, "ec -pkeyopt ec_paramgen_curve:P-256", std::string("/CN=") + name + ".test", "")}},
                             201);
    ids.push_back(issued.value("id", ""));
  }
  const auto chains = query_database(*dir_, dir_->file("dev/signet.db"), "SELECT COUNT(*) FROM issuing_chains");
  EXPECT_EQ(chains.output, "1\n") << "one CA, one chain";
  const std::string own = testing_postgres() ? "chain_pem <> ''" : "chain_pem = ''";
  const auto rows = query_database(*dir_, dir_->file("dev/signet.db"),
                                   "SELECT COUNT(*) FROM certificates WHERE chain_id IS NOT NULL AND " + own +
                                       " AND id IN ('" + ids[0] + "', '" + ids[1] + "', '" + ids[2] + "')");
  EXPECT_EQ(rows.output, "3\n");
  // Once recorded, the request keeps what was asked but not the CSR: the certificate carries the key.
  const auto csrs = query_database(*dir_, dir_->file("dev/signet.db"),
                                   "SELECT COUNT(*) FROM requests WHERE certificate_id IN ('" + ids[0] + "', '" + ids[1] +
                                       "', '" + ids[2] + "') AND input NOT LIKE '%CERTIFICATE REQUEST%' AND input LIKE '%once%'");
  EXPECT_EQ(csrs.output, "3\n");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto r = http("GET", host_->url() + "/v1/certificates/" + ids[i], "", token_, ca_file());
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message);
    const std::string name = "read" + std::to_string(i);
    save(name, json_of(r.value()));
    const auto verified = run_command("openssl verify -CAfile " + ca_file() + " -untrusted " + dir_->file(name + ".chain") +
                                      " " + dir_->file(name + ".crt"));
    EXPECT_EQ(verified.status, 0) << verified.output;
  }
}

TEST_F(Issuance, RsaAndEd25519KeysGetTheUsagesTheirKeysCanHave) {
  const auto rsa = post("/v1/certificates", {{"csr", csr("rsa", "rsa:2048", "/CN=rsa.example.org", "")}}, 201);
  save("rsa", rsa);
  EXPECT_TRUE(contains(text_of("rsa"), "Digital Signature, Key Encipherment")) << text_of("rsa");
  const auto ed = post("/v1/certificates", {{"csr", csr("ed", "ed25519", "/CN=ed.example.org", "")}}, 201);
  save("ed", ed);
  const std::string text = text_of("ed");
  EXPECT_TRUE(contains(text, "Public Key Algorithm: ED25519")) << text;
  EXPECT_FALSE(contains(text, "Key Encipherment")) << text;
  const auto verified = run_command("openssl verify -CAfile " + ca_file() + " -untrusted " + dir_->file("ed.chain") +
                                    " " + dir_->file("ed.crt"));
  EXPECT_EQ(verified.status, 0) << verified.output;
}

TEST_F(Issuance, ValidityStaysInsideTheRequestAndTheIssuer) {
  const auto issued = post("/v1/certificates",
                           {{"csr", csr("ttl", "ec -pkeyopt ec_paramgen_curve:P-384", "/CN=ttl.internal", "")}, {"ttl", "1h"}}, 201);
  save("ttl", issued);
  const auto dates = run_command("openssl x509 -noout -checkend 3500 -in " + dir_->file("ttl.crt"));
  EXPECT_EQ(dates.status, 0) << "valid for most of the hour: " << dates.output;
  const auto expired = run_command("openssl x509 -noout -checkend 3700 -in " + dir_->file("ttl.crt"));
  EXPECT_NE(expired.status, 0) << "but not longer than asked";
}

TEST_F(Issuance, BadRequestsAreRefusedWithPreciseCodesAndNothingIsRecorded) {
  const std::string db = dir_->file("dev/signet.db");
  const std::string before = query_database(*dir_, db, "SELECT COUNT(*) FROM certificates").output;
  ASSERT_FALSE(before.empty());
  auto code_of = [](const nlohmann::json& j) { return j.value("error", nlohmann::json::object()).value("code", ""); };
  EXPECT_EQ(code_of(post("/v1/certificates", {{"csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}}, 400)), "invalid_csr");
  EXPECT_EQ(code_of(post("/v1/certificates", {{"csr", csr("evil", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=evil.org", "")}}, 400)), "san_not_allowed");
  EXPECT_EQ(code_of(post("/v1/certificates", {{"csr", csr("long", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=l.test", "")}, {"ttl", "91d"}}, 400)), "ttl_too_long");
  EXPECT_EQ(code_of(post("/v1/certificates", {{"csr", csr("wild", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=*.w.test", "")}}, 400)), "wildcard_not_allowed");
  EXPECT_EQ(code_of(post("/v1/certificates", {{"profile", "nope"}, {"csr", csr("p", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=p.test", "")}}, 400)), "unknown_profile");
  EXPECT_EQ(query_database(*dir_, db, "SELECT COUNT(*) FROM certificates").output, before);
}

TEST_F(Issuance, TheHostServesHttpsWithACertificateFromItsOwnCa) {
  const auto issuer = run_command("openssl x509 -noout -issuer -in " + dir_->file("dev/tls/server.crt"));
  EXPECT_TRUE(contains(issuer.output, "Signet Dev Issuing CA")) << issuer.output;
  auto health = http("GET", host_->url() + "/health", "", "", ca_file());
  ASSERT_TRUE(health) << health.error().message;
  EXPECT_EQ(health.value().status, 200);
}

TEST_F(Issuance, IssuedCertificatesCanBeFetchedListedAndFiltered) {
  const auto a = post("/v1/certificates",
                      {{"csr", csr("la", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=list-a.internal", "DNS:alias-a.internal")},
                       {"metadata", {{"requester", "alice"}, {"ticket", "RITM0010001"}}}},
                      201);
  const auto b = post("/v1/certificates", {{"csr", csr("lb", "ec -pkeyopt ec_paramgen_curve:P-256", "/CN=list-b.internal", "")},
                                           {"metadata", {{"requester", "bob"}}}}, 201);
  auto get = [&](const std::string& path) {
    auto r = http("GET", host_->url() + path, "", token_, ca_file());
    EXPECT_TRUE(r);
    EXPECT_EQ(r.value().status, 200) << path << ": " << r.value().body;
    return json_of(r.value());
  };
  const auto one = get("/v1/certificates/" + a.value("id", ""));
  EXPECT_EQ(one.value("certificate", ""), a.value("certificate", ""));
  EXPECT_EQ(one.value("serial", ""), a.value("serial", ""));
  EXPECT_EQ(one.value("chain", nlohmann::json::array()), a.value("chain", nlohmann::json::array()));
  EXPECT_TRUE(one.at("revoked_at").is_null());

  auto ids = [](const nlohmann::json& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("items")) out.push_back(item.value("id", ""));
    return out;
  };
  EXPECT_EQ(ids(get("/v1/certificates?san=ALIAS-A.internal")), std::vector<std::string>{a.value("id", "")});
  EXPECT_EQ(ids(get("/v1/certificates?common_name=list-b.internal")), std::vector<std::string>{b.value("id", "")});
  EXPECT_EQ(ids(get("/v1/certificates?requester=alice&q=list-")), std::vector<std::string>{a.value("id", "")});
  EXPECT_EQ(ids(get("/v1/certificates?ticket=RITM0010001")), std::vector<std::string>{a.value("id", "")});
  EXPECT_EQ(ids(get("/v1/certificates?q=list-&status=active")).size(), 2u);
  EXPECT_TRUE(ids(get("/v1/certificates?status=revoked&q=list-")).empty());

  // Cursor pagination walks every certificate once, newest first.
  std::vector<std::string> walked;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    const auto body = get("/v1/certificates?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    for (const auto& id : ids(body)) walked.push_back(id);
    if (body.at("next_cursor").is_null()) break;
    cursor = body.at("next_cursor").get<std::string>();
  }
  const auto all = ids(get("/v1/certificates?limit=1000"));
  EXPECT_EQ(walked, all);
  EXPECT_EQ(all.front(), b.value("id", "")) << "newest first";

  auto bad = http("GET", host_->url() + "/v1/certificates?cursor=%21%21", "", token_, ca_file());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad.value().status, 400);
  auto missing = http("GET", host_->url() + "/v1/certificates/crt_nope", "", token_, ca_file());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing.value().status, 404);
}

TEST_F(Issuance, TheChainIsPublishedWithoutAuthentication) {
  auto chain = http("GET", host_->url() + "/pki/internal/chain.pem", "", "", ca_file());
  ASSERT_TRUE(chain) << chain.error().message;
  EXPECT_EQ(chain.value().status, 200);
  EXPECT_EQ(chain.value().header("content-type"), "application/pem-certificate-chain");
  const std::string file = dir_->write("served-chain.pem", chain.value().body);
  const auto subjects = run_command("openssl crl2pkcs7 -nocrl -certfile " + file + " | openssl pkcs7 -print_certs -noout");
  EXPECT_TRUE(contains(subjects.output, "subject=CN = Signet Dev Issuing CA")) << subjects.output;
  EXPECT_TRUE(contains(subjects.output, "subject=CN = Signet Dev Root CA")) << subjects.output;
  auto unknown = http("GET", host_->url() + "/pki/nope/chain.pem", "", "", ca_file());
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown.value().status, 404);
}

}  // namespace
}  // namespace signet::test
