#include "transit_keys.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <encoding/base64.hpp>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>

namespace signet::keys_vault_transit {
namespace {

using nlohmann::json;

// A version's public key never changes, but its key's flags may (made
// exportable in Vault): read again at most this long after the last read.
constexpr std::chrono::seconds kRecheckAfter{60};

constexpr const char* kNameRule = "1 to 128 characters of A-Z a-z 0-9 _ . - not starting with '.'";

// Names go into URL paths: a conservative alphabet, and never "." or "..".
bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
         });
}

// "name" or "name:v<N>" (N from 1, no leading zero, at most nine digits).
std::optional<KeyRef> parse_key_id(std::string_view key_id) {
  const auto colon = key_id.find(':');
  if (!valid_name(key_id.substr(0, colon))) return std::nullopt;
  KeyRef ref{std::string(key_id.substr(0, colon)), 0};
  if (colon == std::string_view::npos) return ref;
  const std::string_view version = key_id.substr(colon + 1);
  if (version.size() < 2 || version.size() > 10 || version[0] != 'v' || version[1] == '0') return std::nullopt;
  for (const char c : version.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    ref.version = ref.version * 10 + (c - '0');
  }
  return ref;
}

std::string key_id_of(const std::string& name, int version) { return name + ":v" + std::to_string(version); }

std::string random_name(SecureRandom& random) {
  std::array<std::uint8_t, 12> bytes{};
  random.fill(bytes);
  return "signet-" + pkix::to_hex({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

// ---- Vault's answers

const json& data_of(const vault::Response& response) { return vault::object_field(response.body, "data"); }
using vault::text_field;

bool succeeded(const vault::Response& response) { return response.status >= 200 && response.status < 300; }

// Vault answers 404 without errors for a key that is not there, and with
// errors ("no handler for route") when nothing is mounted at the path.
bool no_such_key(const vault::Response& response) { return response.status == 404 && response.errors().empty(); }

// Transit answers a create of an existing key with success, the key
// unchanged and this warning.
bool already_existed(const vault::Response& response) {
  if (!response.body.is_object() || !response.body.contains("warnings")) return false;
  const json& warnings = response.body.at("warnings");
  return warnings.is_array() && std::any_of(warnings.begin(), warnings.end(), [](const json& w) {
           return w.is_string() && w.get<std::string>().find("already existed") != std::string::npos;
         });
}

// ---- keys

std::optional<KeyType> signing_type(const std::string& transit_type) {
  if (transit_type.starts_with("rsa-")) return KeyType::rsa;
  if (transit_type.starts_with("ecdsa-")) return KeyType::ec;
  if (transit_type == "ed25519") return KeyType::ed25519;
  return std::nullopt;  // aes256-gcm96, chacha20-poly1305, hmac ...: they do not sign
}

Result<std::string> transit_type(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::rsa:
      if (spec.bits == 2048 || spec.bits == 3072 || spec.bits == 4096) return "rsa-" + std::to_string(spec.bits);
      break;
    case KeyType::ec:
      if (spec.curve == "P-256") return std::string("ecdsa-p256");
      if (spec.curve == "P-384") return std::string("ecdsa-p384");
      break;
    case KeyType::ed25519: return std::string("ed25519");
  }
  return make_error(ErrorCode::invalid_argument,
                    "Transit keys made here are RSA of 2048, 3072 or 4096 bits, ECDSA on P-256 or P-384, or Ed25519");
}

const char* pkix_name(KeyType type) {
  switch (type) {
    case KeyType::rsa: return "rsa";
    case KeyType::ec: return "ecdsa";
    case KeyType::ed25519: return "ed25519";
  }
  return "";
}

// The SubjectPublicKeyInfo DER of a public key as Transit gives it: PEM for
// RSA and ECDSA, base64 of the 32 raw bytes (RFC 8032 §5.1.5) for Ed25519.
// "" when it is not a key of `type`.
std::string spki_of(KeyType type, const std::string& text) {
  pkix::EvpPkeyPtr key;
  if (type == KeyType::ed25519) {
    const auto raw = encoding::base64_decode(text);
    if (raw && raw->size() == 32)
      key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(raw->data()), raw->size()));
  } else {
    pkix::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (bio) key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!key || pkix::key_type_name(key.get()) != pkix_name(type)) {
    ERR_clear_error();
    return {};
  }
  return pkix::public_key_der(key.get());
}

// The type of a key Signet may use; refuses keys that do not sign, and
// keys whose private halves Vault would hand out.
Result<KeyType> usable_type(const std::string& name, const json& data) {
  const std::string type = text_field(data, "type");
  const auto key_type = signing_type(type);
  if (!key_type)
    return make_error(ErrorCode::invalid_argument,
                      "Transit key " + name + " is of type " + type +
                          ", which does not sign; Signet uses rsa-*, ecdsa-* and ed25519 keys");
  // Either flag lets the private key out of Vault (export, or a plaintext backup).
  for (const char* flag : {"exportable", "allow_plaintext_backup"}) {
    const auto it = data.find(flag);
    if (it != data.end() && !(it->is_boolean() && !it->get<bool>()))
      return make_error(ErrorCode::permission_denied, "Transit key " + name + " has " + flag +
                                                          " set: Signet keeps CA keys only in Transit keys whose "
                                                          "private halves cannot leave Vault");
  }
  return *key_type;
}

// The version a reference means: its own, or the key's latest_version.
int version_meant(const KeyRef& ref, const json& data) {
  if (ref.version > 0) return ref.version;
  const auto latest = data.find("latest_version");
  if (latest == data.end() || !latest->is_number_integer()) return 0;
  const auto value = latest->get<long long>();
  return value > 0 && value < 1'000'000'000 ? static_cast<int>(value) : 0;
}

// One version of a key as GET <mount>/keys/<name> describes it.
Result<VersionedKey> version_of(const KeyRef& ref, const json& data) {
  auto type = usable_type(ref.name, data);
  if (!type) return std::move(type).error();
  const int version = version_meant(ref, data);
  const auto keys = data.find("keys");
  const std::string number = std::to_string(version);
  if (version == 0 || keys == data.end() || !keys->is_object() || !keys->contains(number) ||
      !keys->at(number).is_object())
    return make_error(ErrorCode::not_found, "Transit key " + ref.name + " has no version " + number);
  const std::string spki = spki_of(type.value(), text_field(keys->at(number), "public_key"));
  if (spki.empty())
    return make_error(ErrorCode::internal, "the public key Vault gave for " + key_id_of(ref.name, version) +
                                               " is not a " + pkix_name(type.value()) + " key");
  return VersionedKey{{ref.name, version}, KeyInfo{key_id_of(ref.name, version), type.value(), spki}};
}

// ---- signatures

// How Transit makes one of Signet's signature algorithms.
struct Scheme {
  KeyType type;
  const EVP_MD* (*md)();
  const char* hash;     // hash_algorithm
  const char* padding;  // signature_algorithm, RSA only
};

std::optional<Scheme> scheme_of(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256: return Scheme{KeyType::rsa, EVP_sha256, "sha2-256", "pkcs1v15"};
    case SignatureAlgorithm::rsa_pkcs1_sha384: return Scheme{KeyType::rsa, EVP_sha384, "sha2-384", "pkcs1v15"};
    case SignatureAlgorithm::rsa_pss_sha256: return Scheme{KeyType::rsa, EVP_sha256, "sha2-256", "pss"};
    case SignatureAlgorithm::ecdsa_sha256: return Scheme{KeyType::ec, EVP_sha256, "sha2-256", ""};
    case SignatureAlgorithm::ecdsa_sha384: return Scheme{KeyType::ec, EVP_sha384, "sha2-384", ""};
    case SignatureAlgorithm::ed25519: return Scheme{KeyType::ed25519, nullptr, "", ""};
  }
  return std::nullopt;
}

// The body of POST <mount>/sign/<name>. RSA and ECDSA get the digest, so a
// large TBSCertificate or CRL need not travel; Ed25519 signs the message
// itself (pure Ed25519, RFC 8032 §5.1.6, has no prehash).
json signing_request(const Scheme& scheme, const std::string& message, int version) {
  if (scheme.type == KeyType::ed25519) return json{{"input", encoding::base64(message)}, {"key_version", version}};
  json body = {{"input", encoding::base64(pkix::digest(scheme.md(), message))},
               {"prehashed", true},
               {"hash_algorithm", scheme.hash},
               {"marshaling_algorithm", "asn1"},  // DER for ECDSA, as keys.hpp promises
               {"key_version", version}};
  if (scheme.type == KeyType::rsa) body["signature_algorithm"] = scheme.padding;
  // Salt as long as the digest (RFC 8017 §9.1): what Signet's certificates declare.
  if (std::string_view(scheme.padding) == "pss") body["salt_length"] = "hash";
  return body;
}

// The bytes of "vault:v<N>:<base64>", when N is the version asked for.
Result<std::string> signature_bytes(const vault::Response& answer, const VersionedKey& key) {
  const std::string text = text_field(data_of(answer), "signature");
  const std::string prefix = "vault:v" + std::to_string(key.ref.version) + ":";
  if (!text.starts_with(prefix))
    return make_error(ErrorCode::internal, "Vault's answer holds no signature by " + key.info.key_id);
  auto bytes = encoding::base64_decode(std::string_view(text).substr(prefix.size()));
  if (!bytes || bytes->empty())
    return make_error(ErrorCode::internal, "Vault's signature by " + key.info.key_id + " is not base64");
  return std::move(bytes).value();
}

}  // namespace

Result<void> TransitKeys::health() {
  if (auto up = client_->health(); !up) return up;
  auto answer = client_->call("LIST", mount_ + "/keys");
  if (!answer) return std::move(answer).error();
  // 404 without errors: no keys yet; 403: a policy may grant use but not listing.
  if (answer->status == 200 || answer->status == 403 || no_such_key(*answer)) return {};
  Error error = vault::error_from(*answer, "listing the Transit keys under " + mount_);
  error.code = ErrorCode::unavailable;
  return error;
}

Result<VersionedKey> TransitKeys::read(const KeyRef& ref) {
  auto answer = client_->call("GET", path("keys", ref.name));
  if (!answer) return std::move(answer).error();
  if (no_such_key(*answer)) return make_error(ErrorCode::not_found, "no Transit key " + ref.name + " under " + mount_);
  if (answer->status != 200) return vault::error_from(*answer, "reading Transit key " + ref.name);
  const json& data = data_of(*answer);
  if (data.empty()) return make_error(ErrorCode::internal, "Vault's answer for Transit key " + ref.name + " holds no data");
  auto key = version_of(ref, data);
  if (!key) return key;
  std::lock_guard lock(mutex_);
  known_.insert_or_assign(key->info.key_id, Cached{key->info, std::chrono::steady_clock::now()});
  return key;
}

Result<VersionedKey> TransitKeys::known(const std::string& key_id) {
  const auto ref = parse_key_id(key_id);
  if (!ref)
    return make_error(ErrorCode::not_found,
                      std::string("not a Transit key id: <name> or <name>:v<N>, names of ") + kNameRule);
  if (ref->version > 0) {
    std::lock_guard lock(mutex_);
    const auto it = known_.find(key_id);
    if (it != known_.end() && std::chrono::steady_clock::now() - it->second.read_at < kRecheckAfter)
      return VersionedKey{ref.value(), it->second.info};
  }
  return read(ref.value());
}

Result<VersionedKey> TransitKeys::wrapping_key(const std::string& key_id) {
  auto key = known(key_id);
  if (key && key->info.type != KeyType::rsa)
    return make_error(ErrorCode::invalid_argument,
                      "only RSA Transit keys wrap (RSA-OAEP); " + key->info.key_id + " is not one");
  return key;
}

Result<vault::Response> TransitKeys::post(const std::string& operation, const std::string& name, const json& body,
                                          const std::string& what) {
  auto answer = client_->call("POST", path(operation, name), body);
  if (answer && !succeeded(answer.value())) return vault::error_from(answer.value(), what);
  return answer;
}

Result<void> TransitKeys::check_name_free(const std::string& name) {
  auto answer = client_->call("GET", path("keys", name));
  if (!answer) return std::move(answer).error();
  if (no_such_key(*answer)) return {};
  if (answer->status == 200)
    return make_error(ErrorCode::conflict, "a Transit key named " + name + " exists already under " + mount_);
  return vault::error_from(*answer, "checking for a Transit key named " + name);
}

Result<KeyInfo> TransitKeys::generate(const KeySpec& spec) {
  auto type = transit_type(spec);
  if (!type) return std::move(type).error();
  if (!spec.label.empty() && !valid_name(spec.label))
    return make_error(ErrorCode::invalid_argument, std::string("a Transit key name (the label) is ") + kNameRule);
  const std::string name = spec.label.empty() ? random_name(services_.random()) : spec.label;
  std::lock_guard creating(creation_mutex_);
  if (auto available = check_name_free(name); !available) return std::move(available).error();
  const json body = {{"type", type.value()}, {"exportable", false}, {"allow_plaintext_backup", false}};
  auto made = post("keys", name, body, "creating Transit key " + name);
  if (!made) return std::move(made).error();
  if (already_existed(made.value()))  // made by another process since the check
    return make_error(ErrorCode::conflict, "a Transit key named " + name + " exists already under " + mount_);
  services_.logger().info("created a Transit key", {{"key", name}, {"type", type.value()}, {"mount", mount_}});
  auto key = read({name, 0});
  if (!key) return std::move(key).error();
  return std::move(key).value().info;
}

Result<KeyInfo> TransitKeys::find(const std::string& key_id) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  return std::move(key).value().info;
}

Result<std::string> TransitKeys::sign(const std::string& key_id, SignatureAlgorithm algorithm,
                                      const std::string& message) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  const auto scheme = scheme_of(algorithm);
  if (!scheme || scheme->type != key->info.type)
    return make_error(ErrorCode::invalid_argument,
                      "the key " + key->info.key_id + " cannot make signatures of this algorithm");
  auto answer = post("sign", key->ref.name, signing_request(*scheme, message, key->ref.version),
                     "signing with Transit key " + key->info.key_id);
  if (!answer) return std::move(answer).error();
  return signature_bytes(answer.value(), key.value());
}

// The wrapped form is Transit's own ciphertext text, "vault:v<N>:<base64>":
// unwrap hands it back as it is, so any version of the key still decrypts it.
Result<std::string> TransitKeys::wrap(const std::string& key_id, const std::string& plaintext) {
  auto key = wrapping_key(key_id);
  if (!key) return std::move(key).error();
  const json body = {{"plaintext", encoding::base64(plaintext)}, {"key_version", key->ref.version}};
  auto answer = post("encrypt", key->ref.name, body, "wrapping with Transit key " + key->info.key_id);
  if (!answer) return std::move(answer).error();
  std::string ciphertext = text_field(data_of(answer.value()), "ciphertext");
  if (!ciphertext.starts_with("vault:v"))
    return make_error(ErrorCode::internal, "Vault's answer holds no ciphertext of " + key->info.key_id);
  return ciphertext;
}

Result<std::string> TransitKeys::unwrap(const std::string& key_id, const std::string& ciphertext) {
  if (!ciphertext.starts_with("vault:v"))
    return make_error(ErrorCode::invalid_argument, "not a Transit ciphertext (vault:v<N>:...)");
  auto key = wrapping_key(key_id);
  if (!key) return std::move(key).error();
  auto answer = post("decrypt", key->ref.name, json{{"ciphertext", ciphertext}},
                     "unwrapping with Transit key " + key->info.key_id);
  if (!answer) {
    Error error = std::move(answer).error();
    if (error.code == ErrorCode::invalid_argument)
      error.message = "the data does not unwrap with Transit key " + key->info.key_id + " (" + error.message + ")";
    return error;
  }
  const std::string encoded = text_field(data_of(answer.value()), "plaintext");  // never "" for a data key
  auto plaintext = encoding::base64_decode(encoded);
  if (encoded.empty() || !plaintext) return make_error(ErrorCode::internal, "Vault's answer holds no plaintext in base64");
  return std::move(plaintext).value();
}

}  // namespace signet::keys_vault_transit
