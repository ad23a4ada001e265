// What kind of key a SubjectPublicKeyInfo holds, and its size, read from
// the DER (RFC 3279 §2.3.1, RFC 5480 §2.1.1, RFC 8410 §3) without decoding
// the key: the inventory records it for every certificate.
#pragma once

#include <string>
#include <string_view>

namespace signet::pkix {

struct KeyKind {
  std::string type;  // rsa, ecdsa, ed25519, ed448; "" for anything else
  int bits = 0;      // RSA modulus or EC field size; 0 when unknown
};

KeyKind key_kind_of_spki(std::string_view spki);

}  // namespace signet::pkix
