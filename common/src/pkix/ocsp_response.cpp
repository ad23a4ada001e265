// Writing OCSP responses (RFC 6960 §4.2) in DER.
#include <pkix/ocsp.hpp>

#include <openssl/evp.h>

#include <pkix/der.hpp>
#include <pkix/der_writer.hpp>

namespace signet::pkix {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

// id-pkix-ocsp-basic (§4.2.1), the only responseType there is.
const std::string_view kBasicResponseOid("\x06\x09\x2b\x06\x01\x05\x05\x07\x30\x01\x01", 11);

std::string enumerated(int value) { return der_wrap(der::kEnumerated, std::string(1, static_cast<char>(value))); }

// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL }
std::string cert_status_der(const OcspSingleResponse& r) {
  switch (r.status) {
    case OcspCertStatus::good: return std::string("\x80\x00", 2);
    case OcspCertStatus::unknown: return std::string("\x82\x00", 2);
    case OcspCertStatus::revoked: break;
  }
  std::string info = der_generalized_time(r.revoked_at);
  if (r.reason) info += der_wrap(der::constructed(0), enumerated(static_cast<int>(*r.reason)));
  return der_wrap(der::constructed(1), info);
}

std::string single_response_der(const OcspSingleResponse& r) {
  std::string content = r.cert_id_der;
  content += cert_status_der(r);
  content += der_generalized_time(r.this_update);
  content += der_wrap(der::constructed(0), der_generalized_time(r.next_update));
  return der_wrap(der::kSequence, content);
}

const EVP_MD* digest_of(OcspHash hash) {
  switch (hash) {
    case OcspHash::sha1: return EVP_sha1();
    case OcspHash::sha256: return EVP_sha256();
    case OcspHash::sha384: return EVP_sha384();
    case OcspHash::sha512: return EVP_sha512();
  }
  return nullptr;
}

}  // namespace

std::string ocsp_status_response(OcspResponseStatus status) {
  return der_wrap(der::kSequence, enumerated(static_cast<int>(status)));
}

std::string ocsp_response_data_der(const OcspResponderId& responder, TimePoint produced_at,
                                   const std::vector<OcspSingleResponse>& responses, std::string_view nonce_extension) {
  std::string content = der_wrap(der::constructed(2), der_wrap(der::kOctetString, responder.key_hash));
  content += der_generalized_time(produced_at);
  std::string list;
  for (const auto& r : responses) list += single_response_der(r);
  content += der_wrap(der::kSequence, list);
  if (!nonce_extension.empty()) content += der_wrap(der::constructed(1), der_wrap(der::kSequence, nonce_extension));
  return der_wrap(der::kSequence, content);
}

std::string ocsp_successful_response(const OcspResponderId& responder, std::string_view response_data_der,
                                     std::string_view signature) {
  std::string bits(1, '\0');  // no unused bits
  bits += signature;
  std::string basic(response_data_der);
  basic += responder.algorithm_der;
  basic += der_wrap(der::kBitString, bits);
  basic += der_wrap(der::constructed(0), der_wrap(der::kSequence, responder.certificate_der));
  std::string response_bytes(kBasicResponseOid);
  response_bytes += der_wrap(der::kOctetString, der_wrap(der::kSequence, basic));
  std::string content = enumerated(static_cast<int>(OcspResponseStatus::successful));
  content += der_wrap(der::constructed(0), der_wrap(der::kSequence, response_bytes));
  return der_wrap(der::kSequence, content);
}

std::string_view spki_key_bits(std::string_view spki) {
  std::string_view body, bits;
  if (!der_take(spki, der::kSequence, &body) || !der_take(body, der::kSequence) ||
      !der_take(body, der::kBitString, &bits) || bits.empty())
    return {};
  return bits.substr(1);
}

std::string ocsp_hash(OcspHash hash, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, digest_of(hash), nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(digest), size);
}

}  // namespace signet::pkix
