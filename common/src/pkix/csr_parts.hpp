// Internal to pkix: the parts of a certificate request that parse_csr
// reads, and a reader that gets them straight from the DER.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <pkix/csr.hpp>
#include <pkix/openssl_ptr.hpp>

namespace signet::pkix::detail {

struct CsrParts {
  X509NamePtr subject;
  EvpPkeyPtr key;
  std::string spki_der;               // as encoded in the request
  bool has_extension_request = false;  // the PKCS#9 extensionRequest attribute
  X509ExtensionsPtr extensions;        // null when that attribute is malformed
};

// Reads a CertificationRequest (RFC 2986 §4) with a DER walk and verifies
// its signature (unless `signature` says it was checked before). It builds the public key with EVP_PKEY_fromdata, not
// through d2i_X509_REQ, whose OpenSSL 3.0 decoder chain costs ~90 µs.
// std::monostate: a form this reader leaves to OpenSSL (other key or
// signature algorithms such as RSA-PSS, unusual encodings); the caller
// then parses with d2i_X509_REQ, so results and messages stay the same.
std::variant<std::monostate, CsrParts, Rejection> read_csr_der(std::string_view der, CsrSignature signature);

}  // namespace signet::pkix::detail
