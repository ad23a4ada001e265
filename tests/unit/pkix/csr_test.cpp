#include <pkix/csr.hpp>

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace signet::pkix {
namespace {

// Requests come from the openssl CLI, never from our own code, so a bug in
// our encoder cannot hide the same bug in our parser.
class CsrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "signet-csr-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static bool run(const std::string& command) {
    const int status = std::system((command + " >/dev/null 2>&1").c_str());
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // `newkey` is the -newkey argument plus options, `extra` more req options.
  std::optional<std::string> make_csr(const std::string& newkey, const std::string& subject,
                                      const std::string& extra = "") {
    const auto key = dir_ / "key.pem";
    const auto csr = dir_ / "csr.pem";
    std::filesystem::remove(csr);
    const std::string command = "openssl req -new -newkey " + newkey + " -nodes -keyout '" + key.string() +
                                "' -out '" + csr.string() + "' -subj '" + subject + "' " + extra;
    if (!run(command)) return std::nullopt;
    return read(csr);
  }

  std::string ec_csr_with_sans() {
    auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=app.example.com",
                        "-addext 'subjectAltName=DNS:app.example.com,IP:10.0.0.5'");
    EXPECT_TRUE(pem.has_value()) << "openssl req failed";
    return pem.value_or("");
  }

  std::filesystem::path dir_;
};

CsrInfo expect_info(const std::variant<CsrInfo, Rejection>& result) {
  if (const auto* rejection = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << "rejected: " << rejection->code << ": " << rejection->message;
    return {};
  }
  return std::get<CsrInfo>(result);
}

Rejection expect_rejection(const std::variant<CsrInfo, Rejection>& result) {
  if (!std::holds_alternative<Rejection>(result)) {
    ADD_FAILURE() << "parsed although it should not";
    return {};
  }
  return std::get<Rejection>(result);
}

TEST_F(CsrTest, ParsesEcdsaP256WithNames) {
  const CsrInfo info = expect_info(parse_csr(ec_csr_with_sans()));
  EXPECT_EQ(info.key_type, "ecdsa");
  EXPECT_EQ(info.curve, "P-256");
  EXPECT_EQ(info.bits, 256);
  EXPECT_EQ(info.common_name, "app.example.com");
  EXPECT_EQ(info.dns, std::vector<std::string>{"app.example.com"});
  EXPECT_EQ(info.ip, std::vector<std::string>{"10.0.0.5"});
  EXPECT_TRUE(info.email.empty());
  EXPECT_TRUE(info.uri.empty());
}

TEST_F(CsrTest, ParsesEcdsaP384) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-384", "/CN=app.example.com");
  ASSERT_TRUE(pem);
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_EQ(info.key_type, "ecdsa");
  EXPECT_EQ(info.curve, "P-384");
  EXPECT_EQ(info.bits, 384);
}

TEST_F(CsrTest, ParsesRsa2048) {
  auto pem = make_csr("rsa:2048", "/CN=rsa.example.com", "-addext 'subjectAltName=DNS:rsa.example.com'");
  ASSERT_TRUE(pem);
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_EQ(info.key_type, "rsa");
  EXPECT_EQ(info.bits, 2048);
  EXPECT_TRUE(info.curve.empty());
  EXPECT_EQ(info.dns, std::vector<std::string>{"rsa.example.com"});
}

// Weak keys still parse; refusing them is the profile's job (policy_test).
// The public key we read must be the one openssl reads, byte for byte,
// for every key type (most take the DER reader, not d2i_X509_REQ).
TEST_F(CsrTest, PublicKeyIsTheOneOpensslReads) {
  for (const char* newkey : {"ec -pkeyopt ec_paramgen_curve:P-256", "ec -pkeyopt ec_paramgen_curve:P-384", "rsa:2048",
                             "rsa:3072", "ed25519"}) {
    auto pem = make_csr(newkey, "/CN=k.example.com");
    ASSERT_TRUE(pem) << newkey;
    const CsrInfo info = expect_info(parse_csr(*pem));
    ASSERT_TRUE(run("openssl req -in '" + (dir_ / "csr.pem").string() + "' -pubkey -noout | openssl pkey -pubin -outform DER -out '" +
                    (dir_ / "spki.der").string() + "'"));
    EXPECT_EQ(info.public_key_der, read(dir_ / "spki.der")) << newkey;
  }
}

// A key with a compressed point (RFC 5480 §2.2) reads as the same key.
TEST_F(CsrTest, ReadsACompressedEcPoint) {
  const auto key = dir_ / "compressed.pem";
  ASSERT_TRUE(run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt point-format:compressed -out '" +
                  key.string() + "'"));
  ASSERT_TRUE(run("openssl req -new -key '" + key.string() + "' -subj /CN=c.example.com -out '" + (dir_ / "csr.pem").string() + "'"));
  const CsrInfo info = expect_info(parse_csr(read(dir_ / "csr.pem")));
  EXPECT_EQ(info.curve, "P-256");
  ASSERT_TRUE(run("openssl req -in '" + (dir_ / "csr.pem").string() + "' -pubkey -noout | openssl pkey -pubin -outform DER -out '" +
                  (dir_ / "spki.der").string() + "'"));
  EXPECT_EQ(info.public_key_der, read(dir_ / "spki.der"));
}

// A point that is not on the curve is no key, even when the caller says the
// signature was checked already.
TEST_F(CsrTest, RefusesAnEcPointOffTheCurve) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=off.example.com");
  ASSERT_TRUE(pem);
  ASSERT_TRUE(run("openssl req -in '" + (dir_ / "csr.pem").string() + "' -outform DER -out '" + (dir_ / "csr.der").string() + "'"));
  std::string der = read(dir_ / "csr.der");
  const std::string prefix("\x03\x42\x00\x04", 4);  // BIT STRING of an uncompressed P-256 point
  const auto at = der.find(prefix);
  ASSERT_NE(at, std::string::npos);
  der[at + prefix.size() + 63] = static_cast<char>(der[at + prefix.size() + 63] ^ 0x01);  // last byte of y
  std::ofstream(dir_ / "bad.der", std::ios::binary) << der;
  ASSERT_TRUE(run("openssl base64 -in '" + (dir_ / "bad.der").string() + "' -out '" + (dir_ / "bad.b64").string() + "'"));
  const std::string bad = "-----BEGIN CERTIFICATE REQUEST-----\n" + read(dir_ / "bad.b64") + "-----END CERTIFICATE REQUEST-----\n";
  EXPECT_EQ(expect_rejection(parse_csr(bad)).code, "invalid_csr");
  EXPECT_EQ(expect_rejection(parse_csr(bad, CsrSignature::already_checked)).code, "invalid_csr");
}

// RSA-PSS and SHA-1 signatures are left to OpenSSL's own request parser.
TEST_F(CsrTest, ParsesRequestsSignedWithRsaPssOrSha1) {
  auto pss = make_csr("rsa:2048", "/CN=pss.example.com", "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32");
  ASSERT_TRUE(pss);
  EXPECT_EQ(expect_info(parse_csr(*pss)).key_type, "rsa");
  auto sha1 = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=sha1.example.com", "-sha1");
  ASSERT_TRUE(sha1);
  EXPECT_EQ(expect_info(parse_csr(*sha1)).common_name, "sha1.example.com");
}

TEST_F(CsrTest, RejectsCorruptedRsaAndEd25519Signatures) {
  for (const char* newkey : {"rsa:2048", "ed25519"}) {
    auto pem = make_csr(newkey, "/CN=bad.example.com");
    ASSERT_TRUE(pem);
    ASSERT_TRUE(run("openssl req -in '" + (dir_ / "csr.pem").string() + "' -outform DER -out '" + (dir_ / "csr.der").string() + "'"));
    std::string der = read(dir_ / "csr.der");
    der[der.size() - 5] = static_cast<char>(der[der.size() - 5] ^ 0x01);  // inside the signature
    std::ofstream(dir_ / "bad.der", std::ios::binary) << der;
    ASSERT_TRUE(run("openssl base64 -in '" + (dir_ / "bad.der").string() + "' -out '" + (dir_ / "bad.b64").string() + "'"));
    const std::string bad = "-----BEGIN CERTIFICATE REQUEST-----\n" + read(dir_ / "bad.b64") + "-----END CERTIFICATE REQUEST-----\n";
    const Rejection r = expect_rejection(parse_csr(bad));
    EXPECT_EQ(r.code, "invalid_csr") << newkey;
    EXPECT_EQ(r.message, "CSR signature does not verify") << newkey;
    // Told the signature was checked before (as the host tells a CA
    // plugin), the parser reads the request without checking it again.
    EXPECT_EQ(expect_info(parse_csr(bad, CsrSignature::already_checked)).common_name, "bad.example.com") << newkey;
  }
}

TEST_F(CsrTest, ParsesRsa1024SoPolicyCanRefuseIt) {
  auto pem = make_csr("rsa:1024", "/CN=weak.example.com");
  if (!pem) GTEST_SKIP() << "this openssl refuses to generate RSA-1024 keys";
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_EQ(info.key_type, "rsa");
  EXPECT_EQ(info.bits, 1024);
}

TEST_F(CsrTest, ParsesEd25519) {
  auto pem = make_csr("ed25519", "/CN=ed.example.com");
  ASSERT_TRUE(pem);
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_EQ(info.key_type, "ed25519");
  EXPECT_EQ(info.bits, 256);
  EXPECT_EQ(info.common_name, "ed.example.com");
}

TEST_F(CsrTest, ReadsIpv6EmailAndUriNames) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=svc",
                      "-addext 'subjectAltName=IP:2001:db8:0:0:0:0:0:1,email:ops@example.com,"
                      "URI:spiffe://example.org/svc,DNS:a.example.com,DNS:b.example.com'");
  ASSERT_TRUE(pem);
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_EQ(info.ip, std::vector<std::string>{"2001:db8::1"});  // compressed, RFC 5952
  EXPECT_EQ(info.email, std::vector<std::string>{"ops@example.com"});
  EXPECT_EQ(info.uri, std::vector<std::string>{"spiffe://example.org/svc"});
  EXPECT_EQ(info.dns, (std::vector<std::string>{"a.example.com", "b.example.com"}));
}

TEST_F(CsrTest, ReadsUtf8CommonName) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=caf\xc3\xa9 service", "-utf8");
  ASSERT_TRUE(pem);
  EXPECT_EQ(expect_info(parse_csr(*pem)).common_name, "caf\xc3\xa9 service");
}

TEST_F(CsrTest, AcceptsRequestWithoutCommonNameOrSans) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/O=Example");
  ASSERT_TRUE(pem);
  const CsrInfo info = expect_info(parse_csr(*pem));
  EXPECT_TRUE(info.common_name.empty());
  EXPECT_TRUE(info.dns.empty());
  EXPECT_TRUE(info.ip.empty());
}

TEST_F(CsrTest, IgnoresTextAroundThePemBlock) {
  const std::string pem = "Certificate request for app\n" + ec_csr_with_sans() + "trailing garbage\n";
  EXPECT_EQ(expect_info(parse_csr(pem)).common_name, "app.example.com");
}

TEST_F(CsrTest, RejectsCorruptedSignature) {
  // RSA: the DER ends in a 256-byte signature, so a character a few lines
  // before the END marker is always inside the signature value.
  auto pem = make_csr("rsa:2048", "/CN=app.example.com");
  ASSERT_TRUE(pem);
  const auto end = pem->find("-----END");
  ASSERT_NE(end, std::string::npos);
  const std::size_t victim = end - 40;
  ASSERT_NE((*pem)[victim], '\n');
  (*pem)[victim] = (*pem)[victim] == 'A' ? 'B' : 'A';
  const Rejection rejection = expect_rejection(parse_csr(*pem));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "CSR signature does not verify");
}

TEST_F(CsrTest, RejectsNonPem) {
  const Rejection rejection = expect_rejection(parse_csr("this is not a CSR"));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "not a PEM certificate request");
}

TEST_F(CsrTest, RejectsACertificateInsteadOfARequest) {
  const auto cert = dir_ / "cert.pem";
  ASSERT_TRUE(run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" +
                  (dir_ / "k.pem").string() + "' -out '" + cert.string() + "' -subj /CN=x -days 1"));
  const Rejection rejection = expect_rejection(parse_csr(read(cert)));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "not a PEM certificate request");
}

TEST_F(CsrTest, RejectsOversizedInput) {
  const std::string pem = ec_csr_with_sans() + std::string(64 * 1024, '#');
  const Rejection rejection = expect_rejection(parse_csr(pem));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_NE(rejection.message.find("64 KiB"), std::string::npos);
}

TEST_F(CsrTest, RejectsUnsupportedKeyType) {
  auto pem = make_csr("ed448", "/CN=app.example.com");
  ASSERT_TRUE(pem);
  const Rejection rejection = expect_rejection(parse_csr(*pem));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "unsupported key type ED448");
}

TEST_F(CsrTest, RejectsNonNistCurve) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:secp256k1", "/CN=app.example.com");
  ASSERT_TRUE(pem);
  const Rejection rejection = expect_rejection(parse_csr(*pem));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "unsupported key type ecdsa with curve secp256k1");
}

TEST_F(CsrTest, RejectsTwoCommonNames) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=a.example.com/CN=b.example.com");
  ASSERT_TRUE(pem);
  EXPECT_EQ(expect_rejection(parse_csr(*pem)).code, "invalid_csr");
}

TEST_F(CsrTest, RejectsSanKindsThePolicyCannotCheck) {
  auto pem = make_csr("ec -pkeyopt ec_paramgen_curve:P-256", "/CN=app.example.com",
                      "-addext 'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com'");
  ASSERT_TRUE(pem);
  const Rejection rejection = expect_rejection(parse_csr(*pem));
  EXPECT_EQ(rejection.code, "invalid_csr");
  EXPECT_EQ(rejection.message, "unsupported subjectAltName type otherName");
}

}  // namespace
}  // namespace signet::pkix
