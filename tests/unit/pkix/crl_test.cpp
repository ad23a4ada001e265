// The CRL encoder, checked by OpenSSL's own CRL parser and signature check.
#include <pkix/crl.hpp>

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <pkix/der.hpp>
#include <pkix/keys.hpp>

namespace signet::pkix {
namespace {

using std::chrono::system_clock;

CrlEntry entry(std::initializer_list<std::uint8_t> serial, RevocationReason reason, std::int64_t at,
               std::int64_t invalidity = 0) {
  CrlEntry e;
  std::copy(serial.begin(), serial.end(), e.serial.begin());
  e.serial_size = static_cast<std::uint8_t>(serial.size());
  e.reason = reason;
  e.revoked_at = at;
  e.invalidity_date = invalidity;
  return e;
}

class CrlEncoding : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = generate_key({"ecdsa", 0, "P-256"});
    ASSERT_TRUE(key) << key.error().message;
    key_ = std::move(key).value();
    X509NamePtr name(X509_NAME_new());
    X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Test CA"), -1, -1, 0);
    unsigned char* der = nullptr;
    const int n = i2d_X509_NAME(name.get(), &der);
    signer_.issuer_name_der.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    signer_.key_identifier = std::string(20, '\x42');
    signer_.algorithm_der = algorithm_identifier_der(SignatureAlgorithm::ecdsa_sha256).value();
  }

  // Encodes, signs with the test key and parses back with OpenSSL.
  OpenSslPtr<X509_CRL, X509_CRL_free> signed_crl(const CrlRequest& request) {
    const std::string tbs = tbs_cert_list_der(request, signer_);
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t length = 0;
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()), 1);
    EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()), 1);
    std::string signature(length, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                             reinterpret_cast<const unsigned char*>(tbs.data()), tbs.size()), 1);
    signature.resize(length);
    const std::string der = signed_der(tbs, signer_.algorithm_der, signature);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    OpenSslPtr<X509_CRL, X509_CRL_free> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
    EXPECT_TRUE(crl) << "OpenSSL cannot parse the CRL";
    if (crl) {
      EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(der.data()) + der.size()) << "trailing bytes";
      EXPECT_EQ(X509_CRL_verify(crl.get(), key_.get()), 1);
    }
    return crl;
  }

  static long integer_extension(X509_CRL* crl, int nid) {
    Asn1IntegerPtr value(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, nid, nullptr, nullptr)));
    return value ? ASN1_INTEGER_get(value.get()) : -1;
  }

  EvpPkeyPtr key_;
  CrlSigner signer_;
};

TEST_F(CrlEncoding, EntriesCarryReasonsAndInvalidityDates) {
  CrlRequest r;
  r.number = 7;
  r.this_update = system_clock::from_time_t(1'800'000'000);
  r.next_update = r.this_update + std::chrono::hours(24);
  r.entries = {entry({0x01, 0x02}, RevocationReason::key_compromise, 1'790'000'000, 1'789'000'000),
               entry({0x80, 0x00, 0xff}, RevocationReason::unspecified, 1'790'000'001),  // high bit: a sign octet is added
               entry({0x7f}, RevocationReason::aa_compromise, 1'790'000'002)};
  auto crl = signed_crl(r);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(integer_extension(crl.get(), NID_crl_number), 7);
  EXPECT_EQ(integer_extension(crl.get(), NID_delta_crl), -1);
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 3);
  const X509_REVOKED* first = sk_X509_REVOKED_value(revoked, 0);
  EXPECT_EQ(serial_hex(X509_REVOKED_get0_serialNumber(first)), "0102");
  OpenSslPtr<ASN1_ENUMERATED, ASN1_ENUMERATED_free> reason(
      static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(first, NID_crl_reason, nullptr, nullptr)));
  ASSERT_TRUE(reason);
  EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), 1);
  OpenSslPtr<ASN1_GENERALIZEDTIME, ASN1_GENERALIZEDTIME_free> invalid(
      static_cast<ASN1_GENERALIZEDTIME*>(X509_REVOKED_get_ext_d2i(first, NID_invalidity_date, nullptr, nullptr)));
  ASSERT_TRUE(invalid);
  EXPECT_EQ(system_clock::to_time_t(time_point_of(invalid.get())), 1'789'000'000);
  EXPECT_EQ(system_clock::to_time_t(time_point_of(X509_REVOKED_get0_revocationDate(first))), 1'790'000'000);
  const X509_REVOKED* second = sk_X509_REVOKED_value(revoked, 1);
  EXPECT_EQ(serial_hex(X509_REVOKED_get0_serialNumber(second)), "8000ff");
  // RFC 5280 §5.3.1: unspecified is left out.
  EXPECT_EQ(X509_REVOKED_get_ext_count(second), 0);
}

TEST_F(CrlEncoding, AnEmptyListIsAbsentAndDeltaShardAndFreshestAreMarked) {
  CrlRequest r;
  r.number = 12;
  r.delta_base = 11;
  r.this_update = system_clock::from_time_t(2'600'000'000);  // 2052: GeneralizedTime
  r.next_update = r.this_update + std::chrono::hours(1);
  r.distribution_point = "http://pki.example/pki/ca/crl/3";
  auto crl = signed_crl(r);
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_get_REVOKED(crl.get()), nullptr);  // §5.1.2.6: absent, not an empty SEQUENCE
  EXPECT_EQ(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl.get())), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(integer_extension(crl.get(), NID_delta_crl), 11);
  OpenSslPtr<ISSUING_DIST_POINT, ISSUING_DIST_POINT_free> idp(
      static_cast<ISSUING_DIST_POINT*>(X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  ASSERT_TRUE(idp && idp->distpoint && idp->distpoint->type == 0);
  const GENERAL_NAME* uri = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
  ASSERT_EQ(uri->type, GEN_URI);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri->d.uniformResourceIdentifier))),
            r.distribution_point);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_CRL_get_ext(crl.get(), X509_CRL_get_ext_by_NID(crl.get(), NID_issuing_distribution_point, -1))), 1);

  CrlRequest full;
  full.number = 13;
  full.this_update = system_clock::from_time_t(1'800'000'000);
  full.next_update = full.this_update + std::chrono::hours(1);
  full.freshest_crl = "http://pki.example/pki/ca/delta-crl";
  auto with_freshest = signed_crl(full);
  ASSERT_TRUE(with_freshest);
  OpenSslPtr<CRL_DIST_POINTS, CRL_DIST_POINTS_free> freshest(
      static_cast<CRL_DIST_POINTS*>(X509_CRL_get_ext_d2i(with_freshest.get(), NID_freshest_crl, nullptr, nullptr)));
  ASSERT_TRUE(freshest);
  EXPECT_EQ(sk_DIST_POINT_num(freshest.get()), 1);
}

}  // namespace
}  // namespace signet::pkix
