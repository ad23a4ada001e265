#include <pkix/key_kind.hpp>

#include <pkix/der.hpp>

namespace signet::pkix {
namespace {

// The OIDs' content octets (X.690 §8.19).
const std::string_view kRsaEncryption("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9);  // 1.2.840.113549.1.1.1
const std::string_view kEcPublicKey("\x2a\x86\x48\xce\x3d\x02\x01", 7);              // 1.2.840.10045.2.1
const std::string_view kPrime256v1("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8);          // 1.2.840.10045.3.1.7
const std::string_view kSecp384r1("\x2b\x81\x04\x00\x22", 5);                          // 1.3.132.0.34
const std::string_view kSecp521r1("\x2b\x81\x04\x00\x23", 5);                          // 1.3.132.0.35
const std::string_view kEd25519("\x2b\x65\x70", 3);                                      // 1.3.101.112
const std::string_view kEd448("\x2b\x65\x71", 3);                                        // 1.3.101.113

// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, in
// the BIT STRING after its unused-bits octet: the modulus's bit length.
int rsa_modulus_bits(std::string_view bit_string) {
  if (bit_string.empty() || bit_string[0] != 0) return 0;
  bit_string.remove_prefix(1);
  std::string_view key, modulus;
  if (!der_take(bit_string, 0x30, &key) || !der_take(key, 0x02, &modulus)) return 0;
  while (!modulus.empty() && modulus.front() == 0) modulus.remove_prefix(1);
  if (modulus.empty()) return 0;
  int bits = static_cast<int>(modulus.size() - 1) * 8;
  for (auto top = static_cast<unsigned char>(modulus.front()); top; top >>= 1) ++bits;
  return bits;
}

}  // namespace

KeyKind key_kind_of_spki(std::string_view spki) {
  std::string_view body, algorithm, oid;
  if (!der_take(spki, 0x30, &body) || !der_take(body, 0x30, &algorithm) ||
      !der_take(algorithm, 0x06, &oid))
    return {};
  if (oid == kEd25519) return {"ed25519", 256};
  if (oid == kEd448) return {"ed448", 456};
  if (oid == kEcPublicKey) {
    std::string_view curve;
    if (!der_take(algorithm, 0x06, &curve)) return {"ecdsa", 0};
    return {"ecdsa", curve == kPrime256v1 ? 256 : curve == kSecp384r1 ? 384 : curve == kSecp521r1 ? 521 : 0};
  }
  if (oid == kRsaEncryption) {
    std::string_view bits;
    return {"rsa", der_take(body, 0x03, &bits) ? rsa_modulus_bits(bits) : 0};
  }
  return {};
}

}  // namespace signet::pkix
