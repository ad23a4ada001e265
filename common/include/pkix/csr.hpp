// PKCS#10 certificate requests (RFC 2986): parsing, proof of possession and
// the names and key a request asks for.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <openssl/evp.h>

namespace signet::pkix {

struct CsrInfo {
  std::string key_type;  // "rsa", "ecdsa", "ed25519"
  int bits = 0;          // RSA modulus size; EC field size; 256 for Ed25519
  std::string curve;     // ECDSA only: NIST name, "P-256", "P-384", "P-521"
  std::string common_name;  // UTF-8; empty when the subject has none
  std::vector<std::string> dns, ip, email, uri;  // from the extensionRequest
  std::string public_key_der;  // SubjectPublicKeyInfo
};

// Why a request was refused. `code` is an API error code ("invalid_csr",
// "san_not_allowed", ...); `message` is for people and names the culprit.
struct Rejection {
  std::string code;
  std::string message;
};

// Whether parse_csr checks the request's self-signature. Skip it only for
// a request whose signature this process has checked before.
enum class CsrSignature { check, already_checked };

// Parses a PEM "CERTIFICATE REQUEST" and checks its self-signature. Text
// around the PEM block is ignored. Every failure is a Rejection with code
// "invalid_csr"; the function never throws on bad input.
std::variant<CsrInfo, Rejection> parse_csr(const std::string& pem, CsrSignature signature = CsrSignature::check);

// A PEM CSR for `key` with a subject CN (may be empty) and SANs, for keys
// made on the server. Signed with SHA-256 (pure EdDSA for Ed25519). Returns
// "" when OpenSSL fails.
struct CsrNames {
  std::string common_name;
  std::vector<std::string> dns, ip, email, uri;
};
std::string make_csr_pem(EVP_PKEY* key, const CsrNames& names);

}  // namespace signet::pkix
