// Kind `keys`: creates keys and signs with them; private keys never leave.
#pragma once

#include <string>

#include <signet/plugin.hpp>

namespace signet {

enum class KeyType { rsa, ec, ed25519 };

struct KeySpec {
  KeyType type = KeyType::ec;
  int bits = 0;           // rsa: 2048, 3072, 4096
  std::string curve;      // ec: "P-256", "P-384"
  std::string label;      // a human-readable name, unique per provider
};

struct KeyInfo {
  std::string key_id;          // opaque to the host, stable
  KeyType type = KeyType::ec;
  std::string public_key_der;  // SubjectPublicKeyInfo, DER
};

enum class SignatureAlgorithm {
  rsa_pkcs1_sha256, rsa_pkcs1_sha384, rsa_pss_sha256,
  ecdsa_sha256, ecdsa_sha384, ed25519,
};

class SIGNET_SDK_API KeyProvider : public Plugin {
 public:
  virtual Result<KeyInfo> generate(const KeySpec& spec) = 0;
  virtual Result<KeyInfo> find(const std::string& key_id) = 0;
  // Signs `message` (the provider hashes it as the algorithm says). The
  // signature is DER for ECDSA, raw for RSA and Ed25519.
  virtual Result<std::string> sign(const std::string& key_id, SignatureAlgorithm algorithm,
                                   const std::string& message) = 0;

  // Optional (SIGNET_CAP_KEYS_WRAP): encrypts and decrypts small secrets,
  // such as data keys, with a key that stays inside the provider.
  virtual Result<std::string> wrap(const std::string& key_id, const std::string& plaintext) {
    (void)key_id; (void)plaintext;
    return make_error(ErrorCode::unsupported, "key wrapping is not supported");
  }
  virtual Result<std::string> unwrap(const std::string& key_id, const std::string& ciphertext) {
    (void)key_id; (void)ciphertext;
    return make_error(ErrorCode::unsupported, "key wrapping is not supported");
  }
  // Optional (SIGNET_CAP_KEYS_IMPORT): takes over an existing private key
  // (PEM, PKCS#8 or traditional) under `label`, e.g. for `signet ca import`.
  // The caller drops its copy; the provider never hands it out again.
  virtual Result<KeyInfo> import_key(const std::string& private_key_pem, const std::string& label) {
    (void)private_key_pem; (void)label;
    return make_error(ErrorCode::unsupported, "key import is not supported");
  }
};

}  // namespace signet
