// Reading an OCSPRequest (RFC 6960 §4.1.1) from untrusted bytes.
#include <pkix/ocsp.hpp>

#include <pkix/der.hpp>
#include <pkix/der_writer.hpp>

namespace signet::pkix {
namespace {

// OBJECT IDENTIFIER contents of CertID's hash algorithms and of the nonce.
const std::string_view kSha1Oid("\x2b\x0e\x03\x02\x1a", 5);
const std::string_view kSha256Oid("\x60\x86\x48\x01\x65\x03\x04\x02\x01", 9);
const std::string_view kSha384Oid("\x60\x86\x48\x01\x65\x03\x04\x02\x02", 9);
const std::string_view kSha512Oid("\x60\x86\x48\x01\x65\x03\x04\x02\x03", 9);
const std::string_view kNonceOid("\x2b\x06\x01\x05\x05\x07\x30\x01\x02", 9);

// RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)).
constexpr std::size_t kMaxNonce = 32;

using Failure = OcspParseFailure;

std::size_t digest_size(OcspHash hash) {
  switch (hash) {
    case OcspHash::sha1: return 20;
    case OcspHash::sha256: return 32;
    case OcspHash::sha384: return 48;
    case OcspHash::sha512: return 64;
  }
  return 0;
}

// AlgorithmIdentifier of CertID: the OID, and NULL or no parameters.
std::optional<Failure> read_hash_algorithm(std::string_view& in, OcspCertId& id) {
  std::string_view body, oid;
  if (!der_take(in, der::kSequence, &body) || !der_take(body, der::kOid, &oid))
    return Failure{"CertID has no hash algorithm"};
  if (!body.empty() && (!der_take(body, der::kNull) || !body.empty()))
    return Failure{"CertID's hash algorithm has unexpected parameters"};
  const std::pair<std::string_view, OcspHash> known[] = {
      {kSha1Oid, OcspHash::sha1}, {kSha256Oid, OcspHash::sha256}, {kSha384Oid, OcspHash::sha384}, {kSha512Oid, OcspHash::sha512}};
  for (const auto& [text, hash] : known)
    if (oid == text) {
      id.hash = hash;
      id.hash_known = true;
    }
  return std::nullopt;
}

// CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }
std::optional<Failure> read_cert_id(std::string_view& in, OcspCertId& id) {
  std::string_view body;
  const auto whole = der_take(in, der::kSequence, &body);
  if (!whole) return Failure{"a Request has no CertID"};
  id.der = *whole;
  if (auto failed = read_hash_algorithm(body, id)) return failed;
  if (!der_take(body, der::kOctetString, &id.issuer_name_hash) || !der_take(body, der::kOctetString, &id.issuer_key_hash))
    return Failure{"CertID lacks the issuer's hashes"};
  if (!der_take(body, der::kInteger, &id.serial) || id.serial.empty() || !body.empty())
    return Failure{"CertID lacks a serial number"};
  if (id.serial.size() > 1 + 20 * 2)  // RFC 5280 §4.1.2.2 allows 20 octets; anything far longer is not a serial
    return Failure{"CertID's serial number is too long"};
  if (id.hash_known && (id.issuer_name_hash.size() != digest_size(id.hash) || id.issuer_key_hash.size() != digest_size(id.hash)))
    return Failure{"CertID's hashes do not match its hash algorithm"};
  return std::nullopt;
}

// The nonce among the request extensions; other extensions are ignored.
std::optional<Failure> read_extensions(std::string_view in, OcspRequest& out) {
  std::string_view list;
  if (!der_take(in, der::kSequence, &list) || !in.empty() || list.empty()) return Failure{"malformed requestExtensions"};
  while (!list.empty()) {
    std::string_view extension, oid, value;
    const auto whole = der_take(list, der::kSequence, &extension);
    if (!whole || !der_take(extension, der::kOid, &oid)) return Failure{"malformed request extension"};
    der_take(extension, der::kBoolean);  // critical, DEFAULT FALSE
    if (!der_take(extension, der::kOctetString, &value) || !extension.empty()) return Failure{"malformed request extension"};
    if (oid != kNonceOid) continue;
    // Clients wrap the nonce in an OCTET STRING inside extnValue (RFC 8954).
    std::string_view nonce = value, inner;
    if (der_take(nonce, der::kOctetString, &inner) && nonce.empty()) nonce = inner;
    else nonce = value;
    if (nonce.empty() || nonce.size() > kMaxNonce) return Failure{"the nonce must have 1 to 32 octets (RFC 8954)"};
    out.nonce_extension = *whole;
  }
  return std::nullopt;
}

// TBSRequest ::= SEQUENCE { [0] version, [1] requestorName, requestList, [2] requestExtensions }
std::optional<Failure> read_tbs_request(std::string_view body, OcspRequest& out) {
  std::string_view version;
  if (der_take(body, der::constructed(0), &version)) {
    std::string_view number;
    if (!der_take(version, der::kInteger, &number) || number != std::string_view("\0", 1) || !version.empty())
      return Failure{"only OCSP version 1 is understood"};
  }
  der_take(body, der::constructed(1));  // requestorName: no use to an unauthenticated responder
  std::string_view list;
  if (!der_take(body, der::kSequence, &list) || list.empty()) return Failure{"the request list is empty"};
  while (!list.empty()) {
    if (out.certificates.size() == kOcspMaxCertificates)
      return Failure{"more than " + std::to_string(kOcspMaxCertificates) + " certificates in one request"};
    std::string_view request;
    if (!der_take(list, der::kSequence, &request)) return Failure{"malformed Request"};
    OcspCertId id;
    if (auto failed = read_cert_id(request, id)) return failed;
    der_take(request, der::constructed(0));  // singleRequestExtensions
    if (!request.empty()) return Failure{"malformed Request"};
    out.certificates.push_back(id);
  }
  std::string_view extensions;
  if (der_take(body, der::constructed(2), &extensions))
    if (auto failed = read_extensions(extensions, out)) return failed;
  if (!body.empty()) return Failure{"unexpected data after the request"};
  return std::nullopt;
}

}  // namespace

std::variant<OcspRequest, OcspParseFailure> parse_ocsp_request(std::string_view der) {
  std::string_view request, tbs;
  if (!der_take(der, der::kSequence, &request) || !der.empty()) return Failure{"not a DER OCSPRequest"};
  if (!der_take(request, der::kSequence, &tbs)) return Failure{"the request has no TBSRequest"};
  der_take(request, der::constructed(0));  // optionalSignature: not required (RFC 5019 §2.1.2)
  if (!request.empty()) return Failure{"unexpected data after the request"};
  OcspRequest out;
  if (auto failed = read_tbs_request(tbs, out)) return *failed;
  return out;
}

std::string ocsp_serial_hex(std::string_view integer) {
  if (integer.empty() || (static_cast<std::uint8_t>(integer.front()) & 0x80)) return "";
  while (integer.size() > 1 && integer.front() == '\0') integer.remove_prefix(1);
  return to_hex(integer);
}

}  // namespace signet::pkix
