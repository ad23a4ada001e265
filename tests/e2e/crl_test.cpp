// CRLs through the real binary, checked with OpenSSL and GnuTLS: issued
// certificates name the plain-HTTP CRL URL, a good certificate passes
// `openssl verify -crl_check`, a revoked one fails once the CRL lists it.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class Crl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { host_ = new DevHost(); }
  static void TearDownTestSuite() { delete host_; }
  void SetUp() override { ASSERT_TRUE(host_->started()) << host_->log(); }

  static json issue(const std::string& name) { return host_->issue(name); }
  // The served CRL in PEM, as OpenSSL converts it from the DER endpoint.
  static std::string fetch_crl(const std::string& file) {
    auto r = http("GET", host_->process().status_url() + "/pki/internal/crl");
    EXPECT_TRUE(r && r.value().status == 200);
    if (!r) return "";
    EXPECT_EQ(r.value().header("content-type"), "application/pkix-crl");
    host_->dir().write(file + ".der", r.value().body);
    run_command("openssl crl -inform DER -in " + host_->dir().file(file + ".der") + " -out " + host_->dir().file(file));
    return host_->dir().file(file);
  }
  // The root (dev/ca.pem) and the issuing CA, for the verifiers.
  static std::string chain_file() {
    auto issuing = http("GET", host_->process().status_url() + "/pki/internal/chain.pem");
    return host_->dir().write("chain.pem", read_file(host_->ca_file()) + issuing.value().body);
  }
  static std::string openssl_verify(const std::string& cert, const std::string& crl) {
    return run_command("openssl verify -crl_check -CAfile " + chain_file() + " -CRLfile " + crl + " " + cert).output;
  }

  static DevHost* host_;
};
DevHost* Crl::host_ = nullptr;

TEST_F(Crl, CertificatesNameTheHostsPlainHttpUrls) {
  const json cert = issue("crl-links.test");
  const std::string file = host_->dir().write("links.pem", cert.value("certificate", ""));
  const std::string text = run_command("openssl x509 -noout -ext crlDistributionPoints,authorityInfoAccess -in " + file).output;
  const std::string base = host_->process().status_url();
  ASSERT_EQ(base.rfind("http://127.0.0.1:", 0), 0u) << host_->log();
  EXPECT_NE(text.find("URI:" + base + "/pki/internal/crl"), std::string::npos) << text;
  EXPECT_NE(text.find("OCSP - URI:" + base + "/pki/internal/ocsp"), std::string::npos) << text;
  EXPECT_NE(text.find("CA Issuers - URI:" + base + "/pki/internal/ca.crt"), std::string::npos) << text;
  // The list of CAs names the same places, and the issuing certificate.
  const json cas = json_of(http("GET", base + "/pki/cas").value());
  ASSERT_EQ(cas["items"].size(), 1U) << cas.dump();
  const json& ca_item = cas["items"][0];
  EXPECT_EQ(ca_item.value("subject", ""), "CN=Signet Dev Issuing CA") << ca_item.dump();
  EXPECT_EQ(ca_item.value("not_after", "").size(), 20U) << ca_item.dump();  // RFC 3339, whole seconds
  EXPECT_EQ(ca_item.value("crl_url", ""), base + "/pki/internal/crl");
  EXPECT_EQ(ca_item.value("ocsp_url", ""), base + "/pki/internal/ocsp");
  // What caIssuers points at is the issuing certificate in DER.
  auto ca = http("GET", base + "/pki/internal/ca.crt");
  ASSERT_EQ(ca.value().status, 200);
  EXPECT_EQ(ca.value().header("content-type"), "application/pkix-cert");
  const std::string der = host_->dir().write("issuing.der", ca.value().body);
  EXPECT_NE(run_command("openssl x509 -inform DER -noout -subject -in " + der).output.find("Signet Dev Issuing CA"),
            std::string::npos);
}

TEST_F(Crl, ARevokedCertificateFailsCrlCheckAndAGoodOneStillPasses) {
  const json good = issue("crl-good.test");
  const json bad = issue("crl-bad.test");
  const std::string good_file = host_->dir().write("good.pem", good.value("certificate", ""));
  const std::string bad_file = host_->dir().write("bad.pem", bad.value("certificate", ""));
  EXPECT_NE(openssl_verify(bad_file, fetch_crl("before.pem")).find(": OK"), std::string::npos);

  auto revoked = http("POST", host_->url() + "/v1/certificates/" + bad.value("id", "") + "/revoke",
                      R"({"reason": "key_compromise", "invalidity_date": "2026-01-02T03:04:05Z"})", host_->admin_token(),
                      host_->ca_file());
  ASSERT_TRUE(revoked && revoked.value().status == 200) << (revoked ? revoked.value().body : "");
  // Published after a short debounce; the wait is bounded, its length is measured in bench/.
  std::string crl, listed;
  const std::string serial = bad.value("serial", "");
  for (int i = 0; i < 100 && listed.find("Key Compromise") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    crl = fetch_crl("after.pem");
    listed = run_command("openssl crl -noout -text -in " + crl).output;
  }
  EXPECT_NE(listed.find("Key Compromise"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Invalidity Date"), std::string::npos) << listed;
  EXPECT_NE(listed.find("Jan  2 03:04:05 2026 GMT"), std::string::npos) << listed;
  EXPECT_NE(listed.find("X509v3 CRL Number"), std::string::npos);
  EXPECT_NE(listed.find("X509v3 Authority Key Identifier"), std::string::npos);
  const std::string bad_result = openssl_verify(bad_file, crl);
  EXPECT_NE(bad_result.find("certificate revoked"), std::string::npos) << bad_result;
  EXPECT_NE(openssl_verify(good_file, crl).find(": OK"), std::string::npos);

  // GnuTLS agrees: the CRL's signature verifies against the issuing CA, and the revoked certificate fails.
  const std::string issuing = host_->dir().write("issuing.pem", http("GET", host_->process().status_url() + "/pki/internal/chain.pem").value().body);
  const auto crl_check = run_command("certtool --verify-crl --load-ca-certificate " + issuing + " --infile " + crl);
  EXPECT_EQ(crl_check.status, 0) << crl_check.output;
  const auto gnutls = run_command("certtool --verify --load-ca-certificate " + chain_file() + " --load-crl " + crl +
                                  " --infile " + bad_file);
  EXPECT_NE(gnutls.status, 0) << gnutls.output;
  EXPECT_NE(gnutls.output.find("revoked"), std::string::npos) << gnutls.output;
  const auto gnutls_good = run_command("certtool --verify --load-ca-certificate " + chain_file() + " --load-crl " + crl +
                                       " --infile " + good_file);
  EXPECT_EQ(gnutls_good.status, 0) << gnutls_good.output;
}

TEST_F(Crl, CachesRevalidateAndBadPathsAreRefused) {
  const std::string base = host_->process().status_url();
  auto first = http("GET", base + "/pki/internal/crl.pem");
  ASSERT_EQ(first.value().status, 200);
  EXPECT_EQ(first.value().body.rfind("-----BEGIN X509 CRL-----", 0), 0u);
  const std::string etag = first.value().header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_FALSE(first.value().header("last-modified").empty());
  EXPECT_NE(first.value().header("cache-control").find("max-age"), std::string::npos);
  const auto again = run_command("curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: " + etag + "' " + base +
                                 "/pki/internal/crl");
  EXPECT_EQ(again.output, "304");
  EXPECT_EQ(http("GET", base + "/pki/nope/crl").value().status, 404);
  EXPECT_EQ(http("GET", base + "/pki/internal/crl/x1").value().status, 404);
  EXPECT_EQ(http("GET", base + "/pki/internal/delta-crl").value().status, 404);  // deltas are off in dev mode
  // The plain listener serves /pki only.
  EXPECT_EQ(http("GET", base + "/v1/certificates").value().status, 404);
  // The HTTPS listener serves the same CRL.
  auto https = http("GET", host_->url() + "/pki/internal/crl", "", "", host_->ca_file());
  EXPECT_EQ(https.value().header("etag").empty(), false);
}

}  // namespace
}  // namespace signet::test
