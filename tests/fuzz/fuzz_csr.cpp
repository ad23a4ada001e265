// CSR parsing (pkix::parse_csr) on arbitrary input: as PEM text, and as
// DER wrapped in PEM armour so the fuzzer reaches the ASN.1 decoder.
#include <cstdint>
#include <string>

#include <openssl/evp.h>

#include <pkix/csr.hpp>

namespace {

std::string armoured(const std::uint8_t* data, std::size_t size) {
  std::string b64(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), data, static_cast<int>(size));
  b64.resize(static_cast<std::size_t>(n));
  std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE REQUEST-----\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the form; the rest is the input.
  const bool as_der = data[0] & 1;
  const std::string input = as_der ? armoured(data + 1, size - 1) : std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = signet::pkix::parse_csr(input);
  if (const auto* info = std::get_if<signet::pkix::CsrInfo>(&parsed)) {
    // A CSR that parsed must describe a key we know.
    if (info->key_type != "rsa" && info->key_type != "ecdsa" && info->key_type != "ed25519") __builtin_trap();
  }
  return 0;
}
