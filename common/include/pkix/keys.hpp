// Key pairs in software: generation, PEM and DER forms, signing. Used by the
// software key provider and for keys the host makes for requests without a
// CSR; CA plugins never call it for their own keys (they use `keys`).
#pragma once

#include <string>
#include <string_view>

#include <signet/keys.hpp>
#include <signet/result.hpp>

#include <pkix/openssl_ptr.hpp>

namespace signet::pkix {

struct KeyParams {
  std::string type;   // "rsa", "ecdsa" (or "ec"), "ed25519"
  int bits = 0;       // rsa
  std::string curve;  // ecdsa: "P-256", "P-384"
};

// Error{invalid_argument} for a type, size or curve outside RSA 2048/3072/4096,
// ECDSA P-256/P-384 and Ed25519.
Result<EvpPkeyPtr> generate_key(const KeyParams& params);

// "rsa", "ecdsa" or "ed25519" (what KeyParams::type takes); "" for others.
std::string key_type_name(const EVP_PKEY* key);
// The NIST curve name of an EC key ("P-256"), or "".
std::string curve_of(const EVP_PKEY* key);

std::string public_key_der(const EVP_PKEY* key);  // SubjectPublicKeyInfo
Result<EvpPkeyPtr> public_key_from_der(const std::string& der);

// Unencrypted PKCS#8 PEM: only for handing a key to its owner once.
std::string private_key_pem(const EVP_PKEY* key);
// PKCS#8 encrypted with AES-256-CBC under PBKDF2-HMAC-SHA256 (PBES2).
Result<std::string> encrypted_private_key_pem(const EVP_PKEY* key, const std::string& passphrase);
// Reads PKCS#8 (encrypted or not) or a traditional PEM key.
Result<EvpPkeyPtr> read_private_key_pem(const std::string& pem, const std::string& passphrase);

// The digest of `message` under `md` (EVP_sha256() ...): what a signer that
// takes prehashed input (a PKCS#11 token, Vault's Transit) is given.
std::string digest(const EVP_MD* md, std::string_view message);

// Signs `message` (hashing it as `algorithm` says). DER for ECDSA, raw bytes
// for RSA and Ed25519. Error{invalid_argument} when the key cannot make
// signatures of that algorithm.
Result<std::string> sign_message(EVP_PKEY* key, SignatureAlgorithm algorithm, const std::string& message);

// RSA-OAEP (RFC 8017 §7.1) with `hash` for both the label and MGF1 (SHA-256
// unless said), for small secrets such as data keys: encrypts with any RSA
// key (the public half suffices), decrypts with a private one.
// Error{invalid_argument} for other keys, data too long, or a ciphertext
// this key did not make.
enum class Oaep { encrypt, decrypt };
Result<std::string> rsa_oaep(EVP_PKEY* key, const std::string& in, Oaep direction, const EVP_MD* hash = nullptr);

// The algorithm a CA signs certificates with for its key: SHA-256 with RSA
// and P-256, SHA-384 with P-384 (CA/B Forum BR §7.1.3.2), pure Ed25519.
Result<SignatureAlgorithm> certificate_signature_algorithm(const EVP_PKEY* issuer_key);

}  // namespace signet::pkix
