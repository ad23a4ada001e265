#include "secretstore/master_key.hpp"

#include <cstdlib>
#include <sys/stat.h>

#include <crypto/aead.hpp>
#include <crypto/random.hpp>
#include <encoding/base64.hpp>
#include <fsutil/files.hpp>
#include <signet/keys.hpp>

namespace signet::secretstore {
namespace {

Error problem(const std::string& pointer, const std::string& message) {
  return config_error("invalid master key configuration", pointer, message);
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// A 32-byte key written as standard base64 (`openssl rand -base64 32`).
std::optional<std::string> decode_key(const std::string& text) {
  auto key = encoding::base64_decode(trimmed(text));
  if (!key || key->size() != crypto::kAes256KeyBytes) return std::nullopt;
  return key;
}

std::string encode_key(const std::string& key) { return encoding::base64(key) + "\n"; }

constexpr const char* kKeyFormat = "must hold a 32-byte key in base64, as `openssl rand -base64 32` prints it";

Result<std::unique_ptr<envelope::KeyEncryptionKey>> from_file(const std::string& path, bool create,
                                                              const std::string& pointer) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (!create) return problem(pointer + "/file", "no master key file " + path + " (set create: true to make one)");
    if (auto written = fsutil::write_file_atomically(path, encode_key(crypto::random_bytes(32)), 0600); !written)
      return problem(pointer + "/file", written.error().message);
    if (::stat(path.c_str(), &st) != 0) return problem(pointer + "/file", "cannot read back " + path);
  }
  auto text = fsutil::read_private_file(path);  // refuses a key others can read
  if (!text) return problem(pointer + "/file", text.error().message);
  auto key = decode_key(text.value());
  if (!key) return problem(pointer + "/file", "master key file " + path + " " + kKeyFormat);
  return envelope::aes_kek(std::move(*key));
}

Result<std::unique_ptr<envelope::KeyEncryptionKey>> from_env(const std::string& name, const std::string& pointer) {
  const char* value = std::getenv(name.c_str());
  if (!value) return problem(pointer + "/env", "environment variable " + name + " is not set");
  auto key = decode_key(value);
  if (!key) return problem(pointer + "/env", "environment variable " + name + " " + kKeyFormat);
  return envelope::aes_kek(std::move(*key));
}

// The wrapping key lives in the provider; the first start creates it.
Result<std::unique_ptr<envelope::KeyEncryptionKey>> from_keys(const std::string& instance, const std::string& label,
                                                              const std::string& pointer,
                                                              const PluginContext& context) {
  auto provider = context.services.key_provider(instance);
  if (!provider) return problem(pointer + "/keys", provider.error().message);
  auto found = provider.value()->find(label);
  if (!found && found.error().code == ErrorCode::not_found)
    found = provider.value()->generate(KeySpec{KeyType::rsa, 3072, {}, label});
  if (!found) return problem(pointer + "/key_id", found.error().message);
  // Fail at start, not at the first secret, when the key cannot wrap.
  const std::string probe = crypto::random_bytes(32);
  auto wrapped = provider.value()->wrap(found->key_id, probe);
  auto unwrapped = wrapped ? provider.value()->unwrap(found->key_id, wrapped.value()) : Result<std::string>(wrapped.error());
  if (!unwrapped || unwrapped.value() != probe)
    return problem(pointer + "/keys", "key " + found->key_id + " of " + instance + " cannot wrap data keys: " +
                                          (unwrapped ? "unwrap gave other bytes" : unwrapped.error().message));
  return envelope::provider_kek(provider.value(), instance, found->key_id);
}

}  // namespace

Result<std::unique_ptr<envelope::KeyEncryptionKey>> load_master_key(const nlohmann::json& spec,
                                                                     const std::string& pointer,
                                                                     const PluginContext& context) {
  const int sources = static_cast<int>(spec.contains("file")) + static_cast<int>(spec.contains("env")) +
                      static_cast<int>(spec.contains("keys"));
  if (sources != 1) return problem(pointer, "give exactly one of file, env or keys");
  if (spec.contains("file")) return from_file(spec.at("file"), spec.value("create", false), pointer);
  if (spec.contains("env")) return from_env(spec.at("env"), pointer);
  return from_keys(spec.at("keys"), spec.value("key_id", "store-" + context.instance_name + "-master"), pointer,
                   context);
}

Result<std::shared_ptr<const envelope::KeyRing>> key_ring(const PluginContext& context) {
  auto current = load_master_key(context.config.at("master_key"), "/master_key", context);
  if (!current) return std::move(current).error();
  std::vector<std::unique_ptr<envelope::KeyEncryptionKey>> previous;
  const auto old = context.config.value("previous_master_keys", nlohmann::json::array());
  for (std::size_t i = 0; i < old.size(); ++i) {
    auto key = load_master_key(old[i], "/previous_master_keys/" + std::to_string(i), context);
    if (!key) return std::move(key).error();
    previous.push_back(std::move(key).value());
  }
  return std::make_shared<const envelope::KeyRing>(std::move(current).value(), std::move(previous));
}

}  // namespace signet::secretstore
