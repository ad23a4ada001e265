#include <pkix/der.hpp>

#include <cstring>
#include <optional>

#include <openssl/objects.h>

#include <pkix/der_writer.hpp>

namespace signet::pkix {
namespace {


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

std::string der_tlv(std::uint8_t tag, const std::string& content) { return der_wrap(tag, content); }

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

Result<std::string> algorithm_identifier_der(SignatureAlgorithm algorithm) {
  OpenSslPtr<X509_ALGOR, X509_ALGOR_free> algor(X509_ALGOR_new());
  if (!algor) return make_error(ErrorCode::internal, "out of memory");
  if (auto set = set_signature_algorithm(algor.get(), algorithm); !set) return std::move(set).error();
  unsigned char* encoded = nullptr;
  const int length = i2d_X509_ALGOR(algor.get(), &encoded);
  if (length <= 0) return make_error(ErrorCode::internal, "cannot encode the signature algorithm");
  OpenSslString owned(encoded);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
}

std::string signed_der(std::string_view tbs_der, std::string_view algorithm_der, std::string_view signature) {
  // A BIT STRING of whole octets: the leading "unused bits" octet is zero.
  const std::size_t bits = 1 + signature.size();
  const std::size_t content = tbs_der.size() + algorithm_der.size() + der_tlv_size(bits);
  std::string out;
  out.reserve(der_tlv_size(content));
  der_put_header(out, der::kSequence, content);
  out.append(tbs_der);
  out.append(algorithm_der);
  der_put_header(out, der::kBitString, bits);
  out += '\0';
  out.append(signature);
  return out;
}

Result<std::string> certificate_der(const std::string& tbs_der, SignatureAlgorithm algorithm,
                                    const std::string& signature) {
  auto algorithm_der = algorithm_identifier_der(algorithm);
  if (!algorithm_der) return std::move(algorithm_der).error();
  return signed_der(tbs_der, algorithm_der.value(), signature);
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

std::string name_der(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_NAME(name, &der);
  if (length <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string spki_der(const X509_PUBKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(key, &der);
  if (length <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string_view> der_take(std::string_view& in, std::uint8_t expected_tag, std::string_view* content) {
  if (in.size() < 2 || static_cast<std::uint8_t>(in[0]) != expected_tag) return std::nullopt;
  std::size_t length = static_cast<std::uint8_t>(in[1]);
  std::size_t header = 2;
  if (length & 0x80) {
    const std::size_t octets = length & 0x7f;
    if (octets == 0 || octets > 3 || in.size() < 2 + octets) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | static_cast<std::uint8_t>(in[2 + i]);
    header += octets;
  }
  if (in.size() < header + length) return std::nullopt;
  const std::string_view whole = in.substr(0, header + length);
  if (content) *content = in.substr(header, length);
  in.remove_prefix(header + length);
  return whole;
}

Result<void> set_spki_der(X509* certificate, const std::string& spki) {
  const Error bad = make_error(ErrorCode::invalid_argument, "not a DER SubjectPublicKeyInfo");
  std::string_view in(spki), body, bits;
  if (!der_take(in, 0x30, &body) || !in.empty()) return bad;  // SEQUENCE
  const auto algorithm = der_take(body, 0x30, nullptr);       // AlgorithmIdentifier
  if (!algorithm || !der_take(body, 0x03, &bits) || !body.empty() || bits.empty() || bits[0] != 0) return bad;
  const auto* p = reinterpret_cast<const unsigned char*>(algorithm->data());
  OpenSslPtr<X509_ALGOR, X509_ALGOR_free> algor(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(algorithm->size())));
  if (!algor) return bad;
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = V_ASN1_UNDEF;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &parameter_type, &parameter, algor.get());
  // X509_PUBKEY_set0_param takes ownership of copies.
  void* parameter_copy = nullptr;
  if (parameter_type == V_ASN1_OBJECT) parameter_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(parameter));
  else if (parameter_type == V_ASN1_SEQUENCE) parameter_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(parameter));
  else if (parameter_type != V_ASN1_NULL && parameter_type != V_ASN1_UNDEF) return bad;
  const std::size_t key_length = bits.size() - 1;
  auto* key_bytes = static_cast<unsigned char*>(OPENSSL_malloc(key_length == 0 ? 1 : key_length));
  ASN1_OBJECT* oid_copy = OBJ_dup(oid);
  if (!key_bytes || !oid_copy) {
    OPENSSL_free(key_bytes);
    ASN1_OBJECT_free(oid_copy);
    return make_error(ErrorCode::internal, "out of memory");
  }
  std::memcpy(key_bytes, bits.data() + 1, key_length);
  if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(certificate), oid_copy, parameter_type, parameter_copy, key_bytes,
                             static_cast<int>(key_length)) != 1)
    return make_error(ErrorCode::internal, "cannot set the certificate's public key");
  return {};
}

}  // namespace signet::pkix
