#include "pki/certificate_info.hpp"

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/openssl_ptr.hpp>
#include <pkix/pem.hpp>

namespace signet::host {
namespace {

std::string common_name(const X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
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
std::string key_fingerprint(const X509* cert) {
  const std::string spki = pkix::spki_der(X509_get_X509_PUBKEY(cert));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (spki.empty() || EVP_Digest(spki.data(), spki.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return pkix::to_hex({reinterpret_cast<const char*>(digest), length});
}

}  // namespace

Result<CertificateInfo> read_certificate(const std::string& pem) {
  auto cert = pkix::read_certificate_pem(pem);
  if (!cert) return make_error(ErrorCode::internal, "the CA returned no readable PEM certificate");
  const X509* c = cert.value().get();
  return CertificateInfo{pkix::serial_hex(X509_get0_serialNumber(c)), common_name(c),
                         pkix::time_point_of(X509_get0_notBefore(c)), pkix::time_point_of(X509_get0_notAfter(c)),
                         key_fingerprint(c)};
}

}  // namespace signet::host
