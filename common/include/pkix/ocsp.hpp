// OCSP (RFC 6960) requests read and responses written straight in DER: a
// responder answers thousands of requests a second, and a request comes
// from anyone, so it is walked by hand with every length checked instead
// of going through OpenSSL's template decoder.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <signet/ca.hpp>

namespace signet::pkix {

enum class OcspHash { sha1, sha256, sha384, sha512 };

// CertID (§4.1.1). Views into the request it was read from.
struct OcspCertId {
  std::string_view der;        // the whole CertID, echoed in the answer
  OcspHash hash = OcspHash::sha1;
  bool hash_known = false;     // false: an algorithm the responder does not hash with
  std::string_view issuer_name_hash, issuer_key_hash;
  std::string_view serial;     // INTEGER content octets as sent (may carry a sign octet)
};

struct OcspRequest {
  std::vector<OcspCertId> certificates;
  // The whole nonce Extension (id-pkix-ocsp-nonce, §4.4.1), echoed in the
  // answer; empty when the request has none.
  std::string_view nonce_extension;
};

// Why a request is refused as malformedRequest.
struct OcspParseFailure {
  std::string reason;
};

// More CertIDs than this in one request is refused: a request is cheap to
// send and each CertID costs a lookup and part of a signature.
inline constexpr std::size_t kOcspMaxCertificates = 16;

// Reads an OCSPRequest (§4.1.1): version v1 if present, the request list
// (1..kOcspMaxCertificates), the nonce (RFC 8954: 1 to 32 octets). The
// optional requestorName, signature and other extensions are accepted and
// ignored. The result's views point into `der`.
std::variant<OcspRequest, OcspParseFailure> parse_ocsp_request(std::string_view der);

// The serial as the certificates table keeps it (lower-case hex of the
// magnitude in whole octets); empty for a negative or empty INTEGER.
std::string ocsp_serial_hex(std::string_view integer_content);

// OCSPResponseStatus (§4.2.1).
enum class OcspResponseStatus : std::uint8_t {
  successful = 0, malformed_request = 1, internal_error = 2, try_later = 3, sig_required = 5, unauthorized = 6,
};

// An OCSPResponse without responseBytes: every status but successful.
std::string ocsp_status_response(OcspResponseStatus status);

enum class OcspCertStatus { good, revoked, unknown };

// One SingleResponse (§4.2.1).
struct OcspSingleResponse {
  std::string cert_id_der;
  OcspCertStatus status = OcspCertStatus::good;
  std::chrono::system_clock::time_point revoked_at;           // revoked only
  std::optional<RevocationReason> reason;                     // revoked only; absent: not given
  std::chrono::system_clock::time_point this_update, next_update;
};

// The delegated responder as it appears in its answers.
struct OcspResponderId {
  std::string key_hash;         // SHA-1 of its subjectPublicKey bits: responderID byKey (§4.2.2.3)
  std::string algorithm_der;    // AlgorithmIdentifier of its signatures
  std::string certificate_der;  // sent in `certs` so clients can check the delegation (§4.2.2.2)
};

// ResponseData (§4.2.1): version v1 (left out), responderID byKey,
// producedAt, the responses, and the echoed nonce extension if any.
std::string ocsp_response_data_der(const OcspResponderId& responder, std::chrono::system_clock::time_point produced_at,
                                   const std::vector<OcspSingleResponse>& responses, std::string_view nonce_extension);

// The successful OCSPResponse around a signed ResponseData: BasicOCSPResponse
// with the responder's certificate, in ResponseBytes of id-pkix-ocsp-basic.
std::string ocsp_successful_response(const OcspResponderId& responder, std::string_view response_data_der,
                                     std::string_view signature);

// The value of an SPKI's subjectPublicKey BIT STRING without its unused-bits
// octet: what CertID's issuerKeyHash and ResponderID byKey hash (§4.1.1,
// §4.2.1). Empty when `spki_der` is not an SPKI.
std::string_view spki_key_bits(std::string_view spki_der);

// The digest of `data` with one of CertID's hash algorithms.
std::string ocsp_hash(OcspHash hash, std::string_view data);

}  // namespace signet::pkix
