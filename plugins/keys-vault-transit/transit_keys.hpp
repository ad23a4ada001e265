// keys-vault-transit: key pairs made and used inside HashiCorp Vault's
// Transit secrets engine. Keys are created non-exportable and without
// plaintext backup, so no Vault call returns their private halves; Signet
// sends digests to sign and small secrets to wrap, and reads public keys.
//
// A key id is "<Transit key name>:v<N>": Transit keys rotate, and a CA must
// keep signing with the version its certificate holds, so every signature
// names its version. A bare name means the key's latest version.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <signet/sdk.hpp>
#include <vault/client.hpp>

namespace signet::keys_vault_transit {

// A key id taken apart; version 0 stands for the latest.
struct KeyRef {
  std::string name;
  int version = 0;
};

// One version of a Transit key: its name and number, and what find answers.
struct VersionedKey {
  KeyRef ref;  // the version resolved, never 0
  KeyInfo info;
};

class TransitKeys final : public KeyProvider {
 public:
  // `mount` is the Transit engine's path ("transit"), already checked by the
  // plugin's schema. `services` outlives the instance.
  TransitKeys(std::unique_ptr<vault::Client> client, std::string mount, HostServices& services)
      : client_(std::move(client)), mount_(std::move(mount)), services_(services) {}

  Result<void> health() override;
  Result<KeyInfo> generate(const KeySpec& spec) override;
  Result<KeyInfo> find(const std::string& key_id) override;
  Result<std::string> sign(const std::string& key_id, SignatureAlgorithm algorithm,
                           const std::string& message) override;
  Result<std::string> wrap(const std::string& key_id, const std::string& plaintext) override;
  Result<std::string> unwrap(const std::string& key_id, const std::string& ciphertext) override;

 private:
  // The key `key_id` names: from the cache when it names a version, else
  // read from Vault (a bare name's latest version may have moved on).
  Result<VersionedKey> known(const std::string& key_id);
  // known(), for wrap and unwrap: only RSA Transit keys encrypt.
  Result<VersionedKey> wrapping_key(const std::string& key_id);
  // Reads the key from Vault and caches the version's KeyInfo.
  Result<VersionedKey> read(const KeyRef& ref);
  Result<void> check_name_free(const std::string& name);
  Result<vault::Response> post(const std::string& operation, const std::string& name, const nlohmann::json& body,
                               const std::string& what);
  std::string path(const std::string& operation, const std::string& name) const {
    return mount_ + "/" + operation + "/" + name;
  }

  std::unique_ptr<vault::Client> client_;  // thread-safe
  std::string mount_;
  HostServices& services_;
  // Cached by "name:vN", so signing costs one Vault call; re-read after a
  // minute, so a key made exportable in Vault since is refused.
  struct Cached {
    KeyInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  std::mutex mutex_;
  std::map<std::string, Cached> known_;  // guarded by mutex_
  // One key made at a time, so the existence check and the creation form
  // one step within this process (Vault's answer catches other processes).
  std::mutex creation_mutex_;
};

}  // namespace signet::keys_vault_transit
