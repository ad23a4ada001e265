#include "pki/certificate_info.hpp"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <pkix/der.hpp>
#include <pkix/key_kind.hpp>
#include <pkix/keys.hpp>
#include <pkix/openssl_ptr.hpp>
#include <pkix/pem.hpp>

namespace signet::host {
namespace {

std::string common_name(const X509_NAME* subject) {
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  pkix::OpenSslString owned(utf8);
  return std::string(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
}

// SHA-256 of the SubjectPublicKeyInfo, hex: finds every certificate of one key.
std::string key_fingerprint(std::string_view spki) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (spki.empty() || EVP_Digest(spki.data(), spki.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return pkix::to_hex({reinterpret_cast<const char*>(digest), length});
}

template <class T, T* (*D2i)(T**, const unsigned char**, long), void (*Free)(T*)>
pkix::OpenSslPtr<T, Free> decoded(std::string_view tlv) {
  const auto* p = reinterpret_cast<const unsigned char*>(tlv.data());
  return pkix::OpenSslPtr<T, Free>(D2i(nullptr, &p, static_cast<long>(tlv.size())));
}

}  // namespace

// The DER inside the first CERTIFICATE block of `pem`.
std::string certificate_der_of(const std::string& pem) {
  pkix::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  if (!bio || PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) return {};
  std::string out = std::string(name) == "CERTIFICATE" ? std::string(reinterpret_cast<char*>(data), static_cast<std::size_t>(length)) : "";
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

// The TBSCertificate fields are read straight from the DER (RFC 5280 §4.1):
// d2i_X509 would also decode the public key, which OpenSSL 3.0 does through
// a decoder chain costing ~90 µs per certificate.
std::string subject_of(const std::string& pem) {
  auto cert = pkix::read_certificate_pem(pem);
  if (!cert) return "";
  pkix::BioPtr out(BIO_new(BIO_s_mem()));
  if (X509_NAME_print_ex(out.get(), X509_get_subject_name(cert.value().get()), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : "";
}

Result<CertificateInfo> read_certificate(const std::string& pem) {
  auto info = read_certificate_der(certificate_der_of(pem));
  if (!info) return make_error(ErrorCode::internal, "the CA returned no readable PEM certificate");
  return info;
}

Result<CertificateInfo> read_certificate_der(std::string_view der) {
  const Error unreadable = make_error(ErrorCode::invalid_argument, "not a readable DER certificate");
  std::string_view in(der), certificate, tbs, validity;
  if (!pkix::der_take(in, 0x30, &certificate) || !pkix::der_take(certificate, 0x30, &tbs)) return unreadable;
  pkix::der_take(tbs, 0xa0);  // [0] EXPLICIT version, absent in v1
  const auto serial = pkix::der_take(tbs, 0x02);
  const bool header = serial && pkix::der_take(tbs, 0x30) /* signature */ && pkix::der_take(tbs, 0x30) /* issuer */ &&
                      pkix::der_take(tbs, 0x30, &validity);
  const auto subject = header ? pkix::der_take(tbs, 0x30) : std::nullopt;
  const auto spki = subject ? pkix::der_take(tbs, 0x30) : std::nullopt;
  if (!spki) return unreadable;
  std::string_view times[2];
  for (auto& t : times) {
    std::string_view rest = validity;
    auto taken = pkix::der_take(validity, 0x17);  // UTCTime
    if (!taken) taken = pkix::der_take(validity, 0x18);  // GeneralizedTime
    if (!taken) return unreadable;
    t = rest.substr(0, taken->size());
  }
  auto number = decoded<ASN1_INTEGER, d2i_ASN1_INTEGER, ASN1_INTEGER_free>(*serial);
  auto not_before = decoded<ASN1_TIME, d2i_ASN1_TIME, ASN1_TIME_free>(times[0]);
  auto not_after = decoded<ASN1_TIME, d2i_ASN1_TIME, ASN1_TIME_free>(times[1]);
  auto name = decoded<X509_NAME, d2i_X509_NAME, X509_NAME_free>(*subject);
  if (!number || !not_before || !not_after || !name) return unreadable;
  const pkix::KeyKind key = pkix::key_kind_of_spki(*spki);
  return CertificateInfo{pkix::serial_hex(number.get()), common_name(name.get()), pkix::time_point_of(not_before.get()),
                         pkix::time_point_of(not_after.get()), key_fingerprint(*spki), key.type, key.bits};
}

}  // namespace signet::host
