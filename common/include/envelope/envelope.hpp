// Envelope encryption: every secret is sealed with its own random AES-256-GCM
// data key, and only that data key is encrypted ("wrapped") by a master key,
// the key-encryption key (KEK). Rotating the master key re-wraps data keys
// and leaves every payload as it is (NIST SP 800-57 Part 1 §6.2).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <signet/keys.hpp>
#include <signet/result.hpp>

namespace signet::envelope {

class KeyEncryptionKey {
 public:
  virtual ~KeyEncryptionKey() = default;
  // A stable name for this key that reveals nothing about it; it is stored
  // beside every data key it wraps, so rotation finds what to re-wrap.
  virtual const std::string& id() const = 0;
  // `context` names what the data key protects; wrapping binds it where the
  // algorithm allows (AES-GCM associated data).
  virtual Result<std::string> wrap(std::string_view data_key, std::string_view context) = 0;
  virtual Result<std::string> unwrap(std::string_view wrapped, std::string_view context) = 0;
};

// A 32-byte AES-256 key held in memory (from a file or the environment);
// its id is "aes:" and 16 hex digits of a SHA-256 over a label and the key.
std::unique_ptr<KeyEncryptionKey> aes_kek(std::string key_bytes);
// A key that stays inside a `keys` instance, used through wrap/unwrap
// (keys-software: RSA-OAEP); id "keys:<instance>/<key_id>".
std::unique_ptr<KeyEncryptionKey> provider_kek(std::shared_ptr<KeyProvider> provider, const std::string& instance,
                                               std::string key_id);

// The current master key, and the ones it replaced that may still wrap
// data keys until they are re-wrapped.
class KeyRing {
 public:
  KeyRing(std::unique_ptr<KeyEncryptionKey> current, std::vector<std::unique_ptr<KeyEncryptionKey>> previous);
  KeyEncryptionKey& current() const { return *current_; }
  KeyEncryptionKey* find(std::string_view id) const;

 private:
  std::unique_ptr<KeyEncryptionKey> current_;
  std::vector<std::unique_ptr<KeyEncryptionKey>> previous_;
};

struct Envelope {
  std::string kek_id;
  std::string wrapped_key;  // the data key, wrapped by kek_id
  std::string ciphertext;   // AES-256-GCM of the payload under the data key
};

// `context` is bound as associated data to the payload and to the wrapped
// data key: an envelope moved to another context does not open.
Result<Envelope> seal(KeyEncryptionKey& kek, std::string_view plaintext, std::string_view context);
Result<std::string> open(const KeyRing& ring, const Envelope& envelope, std::string_view context);
// The same envelope with its data key wrapped by the ring's current key.
Result<Envelope> rewrap(const KeyRing& ring, const Envelope& envelope, std::string_view context);

}  // namespace signet::envelope
