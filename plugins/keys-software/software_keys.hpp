// keys-software: key pairs kept as encrypted PKCS#8 files (mode 0600) in
// one directory, decrypted once into memory when first used.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <signet/sdk.hpp>

#include <pkix/openssl_ptr.hpp>

namespace signet::keys_software {

class SoftwareKeys final : public KeyProvider {
 public:
  SoftwareKeys(std::string dir, std::string passphrase, SecureRandom& random)
      : dir_(std::move(dir)), passphrase_(std::move(passphrase)), random_(random) {}

  Result<void> health() override;
  Result<KeyInfo> generate(const KeySpec& spec) override;
  Result<KeyInfo> find(const std::string& key_id) override;
  Result<std::string> sign(const std::string& key_id, SignatureAlgorithm algorithm, const std::string& message) override;
  Result<std::string> wrap(const std::string& key_id, const std::string& plaintext) override;
  Result<std::string> unwrap(const std::string& key_id, const std::string& ciphertext) override;
  Result<KeyInfo> import_key(const std::string& private_key_pem, const std::string& label) override;

 private:
  // Keys are immutable once written, so a loaded key is shared read-only.
  using SharedKey = std::shared_ptr<EVP_PKEY>;
  Result<SharedKey> load(const std::string& key_id);
  Result<KeyInfo> save_new(pkix::EvpPkeyPtr key, const std::string& label);
  Result<std::string> new_key_id(const std::string& label);
  std::string path_of(const std::string& key_id) const { return dir_ + "/" + key_id + ".key.pem"; }

  std::string dir_;
  std::string passphrase_;
  SecureRandom& random_;
  std::mutex mutex_;
  std::map<std::string, SharedKey> loaded_;  // guarded by mutex_
};

}  // namespace signet::keys_software
