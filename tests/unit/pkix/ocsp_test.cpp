// The OCSP request reader and response writer, checked against OpenSSL's
// own OCSP encoder, parser and signature check.
#include <pkix/ocsp.hpp>

#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <pkix/der.hpp>
#include <pkix/der_writer.hpp>
#include <pkix/keys.hpp>

namespace signet::pkix {
namespace {

using std::chrono::system_clock;
using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;

X509Ptr certificate(const char* cn, EVP_PKEY* key, long serial, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

template <class T, int (*I2d)(const T*, unsigned char**)>
std::string der_of(const T* object) {
  unsigned char* der = nullptr;
  const int n = I2d(object, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}
std::string der_of(const OCSP_REQUEST* request) { return der_of<OCSP_REQUEST, i2d_OCSP_REQUEST>(request); }
std::string der_of(const X509* cert) { return der_of<X509, i2d_X509>(cert); }

std::string sign(EVP_PKEY* key, const std::string& data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  signature.resize(length);
  return signature;
}

class Ocsp : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = generate_key({"ecdsa", 0, "P-256"}).value();
    responder_key_ = generate_key({"ecdsa", 0, "P-256"}).value();
    ca_ = certificate("Test CA", ca_key_.get(), 1, nullptr, nullptr);
    responder_ = certificate("Test responder", responder_key_.get(), 2, ca_.get(), ca_key_.get());
    leaf_ = certificate("leaf", ca_key_.get(), 0x80ff01, ca_.get(), ca_key_.get());
  }

  // A request for the leaf from OpenSSL's encoder.
  std::string openssl_request(const EVP_MD* md, bool nonce, OcspRequestPtr& keep) {
    keep.reset(OCSP_REQUEST_new());
    OCSP_request_add0_id(keep.get(), OCSP_cert_to_id(md, leaf_.get(), ca_.get()));
    if (nonce) OCSP_request_add1_nonce(keep.get(), nullptr, 16);
    return der_of(keep.get());
  }

  OcspResponderId responder_id() const {
    OcspResponderId id;
    const std::string spki = spki_der(X509_get_X509_PUBKEY(responder_.get()));
    id.key_hash = ocsp_hash(OcspHash::sha1, spki_key_bits(spki));
    id.algorithm_der = algorithm_identifier_der(SignatureAlgorithm::ecdsa_sha256).value();
    id.certificate_der = der_of(responder_.get());
    return id;
  }

  EvpPkeyPtr ca_key_, responder_key_;
  X509Ptr ca_, responder_, leaf_;
};

TEST_F(Ocsp, ReadsWhatOpenSslWrites) {
  for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
    OcspRequestPtr request;
    const std::string der = openssl_request(md, true, request);
    auto parsed = parse_ocsp_request(der);
    ASSERT_TRUE(std::holds_alternative<OcspRequest>(parsed)) << std::get<OcspParseFailure>(parsed).reason;
    const auto& r = std::get<OcspRequest>(parsed);
    ASSERT_EQ(r.certificates.size(), 1U);
    const OcspCertId& id = r.certificates[0];
    const OcspHash hash = md == EVP_sha1() ? OcspHash::sha1 : OcspHash::sha256;
    EXPECT_TRUE(id.hash_known);
    EXPECT_EQ(id.hash, hash);
    EXPECT_EQ(id.issuer_name_hash, ocsp_hash(hash, name_der(X509_get_subject_name(ca_.get()))));
    EXPECT_EQ(id.issuer_key_hash, ocsp_hash(hash, spki_key_bits(spki_der(X509_get_X509_PUBKEY(ca_.get())))));
    EXPECT_EQ(ocsp_serial_hex(id.serial), "80ff01");  // the sign octet is not part of the serial
    EXPECT_FALSE(r.nonce_extension.empty());
  }
}

TEST_F(Ocsp, OpenSslVerifiesTheAnswersAndFindsTheirStatus) {
  OcspRequestPtr request;
  const std::string der = openssl_request(EVP_sha1(), true, request);
  const auto parsed = std::get<OcspRequest>(parse_ocsp_request(der));
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(system_clock::now());
  const struct {
    OcspCertStatus status;
    std::optional<RevocationReason> reason;
    int openssl_status, openssl_reason;
  } cases[] = {{OcspCertStatus::good, std::nullopt, V_OCSP_CERTSTATUS_GOOD, -1},
               {OcspCertStatus::revoked, RevocationReason::key_compromise, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE},
               {OcspCertStatus::revoked, std::nullopt, V_OCSP_CERTSTATUS_REVOKED, -1},
               {OcspCertStatus::unknown, std::nullopt, V_OCSP_CERTSTATUS_UNKNOWN, -1}};
  for (const auto& c : cases) {
    OcspSingleResponse single{std::string(parsed.certificates[0].der), c.status, now - std::chrono::hours(1), c.reason,
                              now, now + std::chrono::hours(4)};
    const auto responder = responder_id();
    const std::string data = ocsp_response_data_der(responder, now, {single}, parsed.nonce_extension);
    const std::string response = ocsp_successful_response(responder, data, sign(responder_key_.get(), data));
    const auto* p = reinterpret_cast<const unsigned char*>(response.data());
    OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free> parsed_response(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(response.size())));
    ASSERT_TRUE(parsed_response);
    EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(response.data()) + response.size());
    ASSERT_EQ(OCSP_response_status(parsed_response.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free> basic(OCSP_response_get1_basic(parsed_response.get()));
    ASSERT_TRUE(basic);
    // The signer is found by key hash among the certs sent along and its signature checks
    // (the test certificates are no real chain: OCSP_NOVERIFY skips the path check).
    OpenSslPtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca_.get());
    EXPECT_EQ(OCSP_basic_verify(basic.get(), nullptr, store.get(), OCSP_NOVERIFY), 1) << openssl_error();
    EXPECT_EQ(OCSP_check_nonce(request.get(), basic.get()), 1);
    OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free> id(OCSP_cert_to_id(EVP_sha1(), leaf_.get(), ca_.get()));
    int status = -2, reason = -2;
    ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
    ASSERT_EQ(OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &this_update, &next_update), 1);
    EXPECT_EQ(status, c.openssl_status);
    if (c.status == OcspCertStatus::revoked) EXPECT_EQ(reason, c.openssl_reason);
    EXPECT_EQ(OCSP_check_validity(this_update, next_update, 0, -1), 1);
    if (c.status == OcspCertStatus::revoked) EXPECT_EQ(time_point_of(revoked), now - std::chrono::hours(1));
  }
}

TEST_F(Ocsp, ErrorStatusesAreBareResponses) {
  const std::string der = ocsp_status_response(OcspResponseStatus::unauthorized);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free> parsed(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(OCSP_response_status(parsed.get()), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
}

TEST_F(Ocsp, RefusesMalformedRequests) {
  OcspRequestPtr request;
  const std::string good = openssl_request(EVP_sha1(), false, request);
  const auto refused = [](const std::string& der) { return std::holds_alternative<OcspParseFailure>(parse_ocsp_request(der)); };
  EXPECT_FALSE(refused(good));
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(good.substr(0, good.size() - 1)));
  EXPECT_TRUE(refused(good + std::string(1, '\0')));
  EXPECT_TRUE(refused(std::string("\x30\x02\x30\x00", 4)));      // a TBSRequest without a request list
  EXPECT_TRUE(refused(std::string("\x30\x04\x30\x02\x30\x00", 6)));  // an empty request list
  // A nonce of 33 octets (RFC 8954 allows 1..32).
  OcspRequestPtr long_nonce(OCSP_REQUEST_new());
  OCSP_request_add0_id(long_nonce.get(), OCSP_cert_to_id(EVP_sha1(), leaf_.get(), ca_.get()));
  OCSP_request_add1_nonce(long_nonce.get(), nullptr, 33);
  EXPECT_TRUE(refused(der_of(long_nonce.get())));
  // More CertIDs than a request may carry.
  OcspRequestPtr many(OCSP_REQUEST_new());
  for (std::size_t i = 0; i <= kOcspMaxCertificates; ++i)
    OCSP_request_add0_id(many.get(), OCSP_cert_to_id(EVP_sha1(), leaf_.get(), ca_.get()));
  EXPECT_TRUE(refused(der_of(many.get())));
}

TEST_F(Ocsp, SerialsAreReadAsTheCertificatesTableKeepsThem) {
  EXPECT_EQ(ocsp_serial_hex(std::string("\x00\x80\x01", 3)), "8001");
  EXPECT_EQ(ocsp_serial_hex(std::string("\x01\x02", 2)), "0102");
  EXPECT_EQ(ocsp_serial_hex(std::string("\x80\x01", 2)), "");  // negative
  EXPECT_EQ(ocsp_serial_hex(""), "");
}

}  // namespace
}  // namespace signet::pkix
