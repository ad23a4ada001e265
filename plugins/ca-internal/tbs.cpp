#include "tbs.hpp"

#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

namespace signet::ca_internal {
namespace {

using namespace signet::pkix;

Error build_error(const std::string& what) {
  return make_error(ErrorCode::internal, "cannot build the certificate (" + what + "): " + openssl_error());
}

bool set_time(ASN1_TIME* field, TimePoint t) {
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after; OpenSSL picks.
  return ASN1_TIME_set(field, std::chrono::system_clock::to_time_t(t)) != nullptr;
}

Result<X509NamePtr> subject_name(const TbsBasics& b) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return build_error("name");
  auto add = [&](const char* field, const std::string& value) {
    return value.empty() || X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                                       reinterpret_cast<const unsigned char*>(value.data()),
                                                       static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add("O", b.organization) || !add("CN", b.common_name)) return build_error("subject");
  return name;
}

bool set_serial(X509* cert, const std::string& serial) {
  BignumPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), static_cast<int>(serial.size()), nullptr));
  Asn1IntegerPtr integer(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  return integer && X509_set_serialNumber(cert, integer.get()) == 1;
}

}  // namespace

std::string random_serial(SecureRandom& random) {
  std::string serial(16, '\0');
  do {
    random.fill({reinterpret_cast<std::uint8_t*>(serial.data()), serial.size()});
  } while (serial.find_first_not_of('\0') == std::string::npos);
  return serial;
}

Result<X509Ptr> new_tbs(const TbsBasics& b, const X509* issuer) {
  X509Ptr cert(X509_new());
  auto subject = subject_name(b);
  if (!subject) return std::move(subject).error();
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1 || !set_serial(cert.get(), b.serial) ||
      X509_set_subject_name(cert.get(), subject.value().get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject.value().get()) != 1 ||
      !set_time(X509_getm_notBefore(cert.get()), b.not_before) || !set_time(X509_getm_notAfter(cert.get()), b.not_after))
    return build_error("fields");
  if (auto set = set_spki_der(cert.get(), b.public_key_der); !set) return std::move(set).error();
  // OpenSSL has no setters for the two signature algorithm fields; X509_sign
  // writes them the same way. The outer one only lets the unsigned object
  // encode whole, which OpenSSL does when it caches extension data for lint.
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, cert.get());
  for (const X509_ALGOR* algor : {X509_get0_tbs_sigalg(cert.get()), outer})
    if (auto set = set_signature_algorithm(const_cast<X509_ALGOR*>(algor), b.algorithm); !set) return std::move(set).error();
  return cert;
}

Result<std::string> tbs_der(X509* tbs) {
  unsigned char* der = nullptr;
  const int length = i2d_re_X509_tbs(tbs, &der);  // re-encodes: what was set last counts
  if (length <= 0) return build_error("encoding");
  OpenSslString owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

Result<std::string> sign_tbs(KeyProvider& keys, const std::string& key_id, SignatureAlgorithm algorithm,
                             const std::string& der) {
  auto signature = keys.sign(key_id, algorithm, der);
  if (!signature) return std::move(signature).error();
  return certificate_der(der, algorithm, signature.value());
}

}  // namespace signet::ca_internal
