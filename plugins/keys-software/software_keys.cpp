#include "software_keys.hpp"

#include <algorithm>
#include <filesystem>

#include <fsutil/files.hpp>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>

namespace signet::keys_software {
namespace {

KeyType key_type_of(const EVP_PKEY* key) {
  const std::string type = pkix::key_type_name(key);
  return type == "rsa" ? KeyType::rsa : type == "ed25519" ? KeyType::ed25519 : KeyType::ec;
}

KeyInfo info_of(const std::string& key_id, const EVP_PKEY* key) {
  return KeyInfo{key_id, key_type_of(key), pkix::public_key_der(key)};
}

pkix::KeyParams params_of(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::rsa: return {"rsa", spec.bits, ""};
    case KeyType::ec: return {"ecdsa", 0, spec.curve};
    case KeyType::ed25519: return {"ed25519", 0, ""};
  }
  return {};
}

// Key ids become file names: a conservative alphabet and length.
bool valid_label(const std::string& label) {
  return !label.empty() && label.size() <= 64 && label.front() != '.' &&
         std::all_of(label.begin(), label.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
         });
}


}  // namespace

Result<void> SoftwareKeys::health() {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return make_error(ErrorCode::unavailable, "key directory " + dir_ + " is missing");
  return {};
}

Result<std::string> SoftwareKeys::new_key_id(const std::string& label) {
  if (!label.empty()) {
    if (!valid_label(label))
      return make_error(ErrorCode::invalid_argument, "key labels are 1-64 characters of A-Z a-z 0-9 . _ -");
    return label;
  }
  std::uint8_t bytes[12];
  random_.fill(bytes);
  return "key-" + pkix::to_hex({reinterpret_cast<const char*>(bytes), sizeof bytes});
}

Result<KeyInfo> SoftwareKeys::save_new(pkix::EvpPkeyPtr key, const std::string& label) {
  auto id = new_key_id(label);
  if (!id) return std::move(id).error();
  auto pem = pkix::encrypted_private_key_pem(key.get(), passphrase_);
  if (!pem) return std::move(pem).error();
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (std::filesystem::exists(path_of(id.value()), ec))
    return make_error(ErrorCode::conflict, "a key labelled " + id.value() + " exists already");
  if (auto written = fsutil::write_file_atomically(path_of(id.value()), pem.value(), 0600); !written)
    return std::move(written).error();
  KeyInfo info = info_of(id.value(), key.get());
  loaded_.emplace(id.value(), SharedKey(key.release(), EVP_PKEY_free));
  return info;
}

Result<SoftwareKeys::SharedKey> SoftwareKeys::load(const std::string& key_id) {
  if (!valid_label(key_id)) return make_error(ErrorCode::not_found, "no key " + key_id);
  {
    std::lock_guard lock(mutex_);
    if (auto found = loaded_.find(key_id); found != loaded_.end()) return found->second;
  }
  // Decrypting (PBKDF2) is slow on purpose; do it outside the lock.
  auto pem = fsutil::read_private_file(path_of(key_id));
  if (!pem) {
    if (pem.error().code == ErrorCode::not_found) return make_error(ErrorCode::not_found, "no key " + key_id);
    return std::move(pem).error();
  }
  auto key = pkix::read_private_key_pem(pem.value(), passphrase_);
  if (!key) return make_error(ErrorCode::invalid_config, "key " + key_id + " does not decrypt with the configured passphrase");
  std::lock_guard lock(mutex_);
  return loaded_.try_emplace(key_id, SharedKey(key.value().release(), EVP_PKEY_free)).first->second;
}

Result<KeyInfo> SoftwareKeys::generate(const KeySpec& spec) {
  auto key = pkix::generate_key(params_of(spec));
  if (!key) return std::move(key).error();
  return save_new(std::move(key).value(), spec.label);
}

Result<KeyInfo> SoftwareKeys::import_key(const std::string& private_key_pem, const std::string& label) {
  auto key = pkix::read_private_key_pem(private_key_pem, "");
  if (!key) return make_error(ErrorCode::invalid_argument, "not an unencrypted PEM private key");
  if (pkix::key_type_name(key.value().get()).empty())
    return make_error(ErrorCode::invalid_argument, "only RSA, ECDSA and Ed25519 keys can be imported");
  return save_new(std::move(key).value(), label);
}

Result<KeyInfo> SoftwareKeys::find(const std::string& key_id) {
  auto key = load(key_id);
  if (!key) return std::move(key).error();
  return info_of(key_id, key.value().get());
}

Result<std::string> SoftwareKeys::sign(const std::string& key_id, SignatureAlgorithm algorithm,
                                       const std::string& message) {
  auto key = load(key_id);
  if (!key) return std::move(key).error();
  return pkix::sign_message(key.value().get(), algorithm, message);
}

Result<std::string> SoftwareKeys::wrap(const std::string& key_id, const std::string& plaintext) {
  auto key = load(key_id);
  if (!key) return std::move(key).error();
  return pkix::rsa_oaep(key.value().get(), plaintext, pkix::Oaep::encrypt);
}

Result<std::string> SoftwareKeys::unwrap(const std::string& key_id, const std::string& ciphertext) {
  auto key = load(key_id);
  if (!key) return std::move(key).error();
  return pkix::rsa_oaep(key.value().get(), ciphertext, pkix::Oaep::decrypt);
}

}  // namespace signet::keys_software
