// The download formats of a certificate bundle: one PEM file, a ZIP with
// server.crt / server.key / ca-chain.crt (seed 001), or PKCS#12 (RFC 7292).
#pragma once

#include <string>
#include <vector>

#include <signet/result.hpp>

namespace signet::host {

struct BundleParts {
  std::string certificate_pem;
  std::vector<std::string> ca_chain_pem;  // issuing CA first, root last
  std::string private_key_pem;            // empty when the caller holds the key
  std::string friendly_name;              // PKCS#12 alias: the common name
};

// Certificate, CA chain, then the key.
std::string pem_bundle(const BundleParts& parts);
// server.crt, server.key (mode 0600, when held) and ca-chain.crt.
Result<std::string> zip_bundle(const BundleParts& parts);
// Encrypted with OpenSSL 3's defaults: AES-256-CBC under PBKDF2 for the key
// and certificates, an HMAC-SHA256 MAC.
Result<std::string> pkcs12_bundle(const BundleParts& parts, const std::string& password);

}  // namespace signet::host
