// A key provider whose key ids are the private keys themselves (PEM): any
// log line or database row with a key id would hold the key. The
// conformance kit must fail it in keys.no_export.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <signet/sdk.hpp>

namespace {

std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string spki_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

class LeakyKeys final : public signet::KeyProvider {
 public:
  signet::Result<signet::KeyInfo> generate(const signet::KeySpec& spec) override {
    if (spec.type != signet::KeyType::ec || spec.curve != "P-256")
      return signet::make_error(signet::ErrorCode::invalid_argument, "only EC P-256");
    EVP_PKEY* key = EVP_EC_gen("P-256");
    signet::KeyInfo info{pem_of(key), signet::KeyType::ec, spki_of(key)};
    EVP_PKEY_free(key);
    return info;
  }
  signet::Result<signet::KeyInfo> find(const std::string&) override {
    return signet::make_error(signet::ErrorCode::not_found, "no such key");
  }
  signet::Result<std::string> sign(const std::string&, signet::SignatureAlgorithm, const std::string&) override {
    return signet::make_error(signet::ErrorCode::not_found, "no such key");
  }
};

signet::Result<std::unique_ptr<signet::KeyProvider>> make_keys(const signet::PluginContext&) {
  return std::unique_ptr<signet::KeyProvider>(std::make_unique<LeakyKeys>());
}

}  // namespace

SIGNET_PLUGIN(signet::KeyProvider, "keys-leaks-key", "1.0.0", R"({"type":"object"})", SIGNET_CAP_KEYS_EC, make_keys)
