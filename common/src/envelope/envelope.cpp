#include "envelope/envelope.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/aead.hpp"
#include "crypto/random.hpp"
#include "pkix/der.hpp"

namespace signet::envelope {
namespace {

// A data key wrapped by another AES key: AES-256-GCM with its own context
// label, so a wrapped key cannot pass for a payload or the other way round.
std::string key_context(std::string_view context) { return "signet data key\n" + std::string(context); }
std::string payload_context(std::string_view context) { return "signet payload\n" + std::string(context); }

class AesKek final : public KeyEncryptionKey {
 public:
  explicit AesKek(std::string key) : key_(std::move(key)) {
    const std::string labelled = "signet key-encryption key id\n" + key_;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(labelled.data()), labelled.size(), digest);
    id_ = "aes:" + pkix::to_hex(std::string_view(reinterpret_cast<const char*>(digest), 8));
  }
  ~AesKek() override { OPENSSL_cleanse(key_.data(), key_.size()); }

  const std::string& id() const override { return id_; }
  Result<std::string> wrap(std::string_view data_key, std::string_view context) override {
    return crypto::aes256gcm_seal(key_, data_key, key_context(context));
  }
  Result<std::string> unwrap(std::string_view wrapped, std::string_view context) override {
    auto key = crypto::aes256gcm_open(key_, wrapped, key_context(context));
    if (!key) return make_error(ErrorCode::internal, "a data key does not unwrap with master key " + id_);
    return std::move(*key);
  }

 private:
  std::string key_;
  std::string id_;
};

class ProviderKek final : public KeyEncryptionKey {
 public:
  ProviderKek(std::shared_ptr<KeyProvider> provider, const std::string& instance, std::string key_id)
      : provider_(std::move(provider)), key_id_(std::move(key_id)), id_("keys:" + instance + "/" + key_id_) {}

  const std::string& id() const override { return id_; }
  // RSA-OAEP carries no associated data here; the payload's AES-GCM tag
  // still binds the context, so a moved envelope fails to open.
  Result<std::string> wrap(std::string_view data_key, std::string_view) override {
    return provider_->wrap(key_id_, std::string(data_key));
  }
  Result<std::string> unwrap(std::string_view wrapped, std::string_view) override {
    return provider_->unwrap(key_id_, std::string(wrapped));
  }

 private:
  std::shared_ptr<KeyProvider> provider_;
  std::string key_id_;
  std::string id_;
};

}  // namespace

std::unique_ptr<KeyEncryptionKey> aes_kek(std::string key_bytes) {
  return std::make_unique<AesKek>(std::move(key_bytes));
}

std::unique_ptr<KeyEncryptionKey> provider_kek(std::shared_ptr<KeyProvider> provider, const std::string& instance,
                                               std::string key_id) {
  return std::make_unique<ProviderKek>(std::move(provider), instance, std::move(key_id));
}

KeyRing::KeyRing(std::unique_ptr<KeyEncryptionKey> current, std::vector<std::unique_ptr<KeyEncryptionKey>> previous)
    : current_(std::move(current)), previous_(std::move(previous)) {}

KeyEncryptionKey* KeyRing::find(std::string_view id) const {
  if (current_->id() == id) return current_.get();
  for (const auto& k : previous_)
    if (k->id() == id) return k.get();
  return nullptr;
}

Result<Envelope> seal(KeyEncryptionKey& kek, std::string_view plaintext, std::string_view context) {
  std::string data_key = crypto::random_bytes(crypto::kAes256KeyBytes);
  Envelope out;
  out.kek_id = kek.id();
  out.ciphertext = crypto::aes256gcm_seal(data_key, plaintext, payload_context(context));
  auto wrapped = kek.wrap(data_key, context);
  OPENSSL_cleanse(data_key.data(), data_key.size());
  if (!wrapped) return std::move(wrapped).error();
  out.wrapped_key = std::move(wrapped).value();
  return out;
}

namespace {

Result<std::string> unwrap_data_key(const KeyRing& ring, const Envelope& envelope, std::string_view context) {
  KeyEncryptionKey* kek = ring.find(envelope.kek_id);
  if (!kek)
    return make_error(ErrorCode::invalid_config,
                      "a secret's data key is wrapped by master key " + envelope.kek_id + ", which is not configured");
  return kek->unwrap(envelope.wrapped_key, context);
}

}  // namespace

Result<std::string> open(const KeyRing& ring, const Envelope& envelope, std::string_view context) {
  auto data_key = unwrap_data_key(ring, envelope, context);
  if (!data_key) return std::move(data_key).error();
  auto plain = crypto::aes256gcm_open(data_key.value(), envelope.ciphertext, payload_context(context));
  OPENSSL_cleanse(data_key.value().data(), data_key.value().size());
  if (!plain) return make_error(ErrorCode::internal, "a secret does not decrypt: altered, or moved from another path");
  return std::move(*plain);
}

Result<Envelope> rewrap(const KeyRing& ring, const Envelope& envelope, std::string_view context) {
  auto data_key = unwrap_data_key(ring, envelope, context);
  if (!data_key) return std::move(data_key).error();
  auto wrapped = ring.current().wrap(data_key.value(), context);
  OPENSSL_cleanse(data_key.value().data(), data_key.value().size());
  if (!wrapped) return std::move(wrapped).error();
  return Envelope{ring.current().id(), std::move(wrapped).value(), envelope.ciphertext};
}

}  // namespace signet::envelope
