#include <pkix/der.hpp>

#include <openssl/objects.h>

namespace signet::pkix {
namespace {

constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kBitString = 0x03;

std::string der_length(std::size_t length) {
  if (length < 0x80) return std::string(1, static_cast<char>(length));
  std::string octets;
  for (; length > 0; length >>= 8) octets.insert(octets.begin(), static_cast<char>(length & 0xff));
  return std::string(1, static_cast<char>(0x80 | octets.size())) + octets;
}

int signature_nid(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256: return NID_sha256WithRSAEncryption;
    case SignatureAlgorithm::rsa_pkcs1_sha384: return NID_sha384WithRSAEncryption;
    case SignatureAlgorithm::ecdsa_sha256: return NID_ecdsa_with_SHA256;
    case SignatureAlgorithm::ecdsa_sha384: return NID_ecdsa_with_SHA384;
    case SignatureAlgorithm::ed25519: return NID_ED25519;
    case SignatureAlgorithm::rsa_pss_sha256: return NID_undef;
  }
  return NID_undef;
}

bool is_rsa(SignatureAlgorithm algorithm) {
  return algorithm == SignatureAlgorithm::rsa_pkcs1_sha256 || algorithm == SignatureAlgorithm::rsa_pkcs1_sha384;
}

}  // namespace

std::string der_tlv(std::uint8_t tag, const std::string& content) {
  return std::string(1, static_cast<char>(tag)) + der_length(content.size()) + content;
}

Result<void> set_signature_algorithm(X509_ALGOR* algor, SignatureAlgorithm algorithm) {
  const int nid = signature_nid(algorithm);
  if (nid == NID_undef) return make_error(ErrorCode::invalid_argument, "RSA-PSS is not offered for certificates");
  // RFC 4055 §5: the RSA PKCS#1 v1.5 identifiers carry NULL parameters;
  // RFC 5758 §3.2 and RFC 8410 §3: ECDSA and Ed25519 carry none.
  const int parameter_type = is_rsa(algorithm) ? V_ASN1_NULL : V_ASN1_UNDEF;
  if (X509_ALGOR_set0(algor, OBJ_nid2obj(nid), parameter_type, nullptr) != 1)
    return make_error(ErrorCode::internal, "cannot set the signature algorithm: " + openssl_error());
  return {};
}

Result<std::string> certificate_der(const std::string& tbs_der, SignatureAlgorithm algorithm,
                                    const std::string& signature) {
  OpenSslPtr<X509_ALGOR, X509_ALGOR_free> algor(X509_ALGOR_new());
  if (!algor) return make_error(ErrorCode::internal, "out of memory");
  if (auto set = set_signature_algorithm(algor.get(), algorithm); !set) return std::move(set).error();
  unsigned char* encoded = nullptr;
  const int length = i2d_X509_ALGOR(algor.get(), &encoded);
  if (length <= 0) return make_error(ErrorCode::internal, "cannot encode the signature algorithm");
  OpenSslString owned(encoded);
  const std::string algorithm_der(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
  // A BIT STRING of whole octets: the leading "unused bits" octet is zero.
  const std::string signature_bits = der_tlv(kBitString, std::string(1, '\0') + signature);
  return der_tlv(kSequence, tbs_der + algorithm_der + signature_bits);
}

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

std::chrono::system_clock::time_point time_point_of(const ASN1_TIME* time) {
  std::tm tm{};
  ASN1_TIME_to_tm(time, &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return "";
  OpenSslChars hex(BN_bn2hex(bn.get()));
  std::string text(hex.get());
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace signet::pkix
