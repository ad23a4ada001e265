#include "delivery.hpp"

#include <pkix/keys.hpp>

#include "paths.hpp"

namespace signet::store_vault {
namespace {

using nlohmann::json;

constexpr int kAttempts = 3;  // check-and-set races with another writer of the path

using vault::text_field;

// Vault PKI's serial_number: lower-case hex octets joined by ':'.
std::string vault_serial(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) out += (i ? ":" : "") + hex.substr(i, 2);
  return out;
}

// Vault PKI's expiration: notAfter in seconds since the epoch; 0 when unknown.
long long epoch_seconds(const std::string& rfc3339) {
  return std::chrono::duration_cast<std::chrono::seconds>(vault_time(rfc3339).time_since_epoch()).count();
}

// Vault PKI's private_key_type: rsa, ec or ed25519.
std::string vault_key_type(const std::string& private_key_pem) {
  auto key = pkix::read_private_key_pem(private_key_pem, "");
  if (!key) return {};
  const std::string type = pkix::key_type_name(key.value().get());
  return type == "ecdsa" ? "ec" : type;
}

// custom_metadata takes strings only (at most 64 keys of 512 bytes).
json custom_metadata_of(const json& metadata) {
  json out = {{"managed_by", "signet"}};
  for (const char* key : {"certificate_id", "lineage", "serial_number", "not_after", "status", "service",
                          "common_name", "profile", "revoked_at", "revocation_reason"})
    if (const std::string value = text_field(metadata, key); !value.empty()) out[key] = value.substr(0, 512);
  return out;
}

// What to do with `fields` given what the path holds now.
enum class Verdict { write, already_there, superseded, foreign, unrevoke };

Verdict compare(const json& current, const json& fields) {
  const json& now = vault::object_field(current, "metadata");
  const json& next = fields.at("metadata");
  if (text_field(now, "certificate_id").empty() || text_field(now, "lineage").empty()) return Verdict::foreign;
  if (text_field(now, "certificate_id") == text_field(next, "certificate_id")) {
    if (text_field(now, "status") == text_field(next, "status")) return Verdict::already_there;
    return text_field(now, "status") == "revoked" ? Verdict::unrevoke : Verdict::write;
  }
  // Another certificate: only a later one, being issued, replaces it.
  if (text_field(next, "status") != "issued") return Verdict::superseded;
  return text_field(next, "not_before") >= text_field(now, "not_before") ? Verdict::write : Verdict::superseded;
}

}  // namespace

bool deliverable(const json& bundle, const json& metadata) {
  return text_field(metadata, "kind") == "certificate bundle" && !text_field(bundle, "certificate").empty();
}

Result<json> delivery_fields(const json& bundle, const json& metadata) {
  const std::string certificate = text_field(bundle, "certificate"), key = text_field(bundle, "private_key");
  const std::string key_type = vault_key_type(key);
  if (certificate.empty() || key_type.empty())
    return make_error(ErrorCode::invalid_argument, "a certificate bundle needs its certificate and a private key in PEM");
  json chain = json::array();
  if (bundle.contains("chain") && bundle.at("chain").is_array())
    for (const auto& pem : bundle.at("chain"))
      if (pem.is_string()) chain.push_back(pem);
  json described = metadata;
  described.erase("kind");
  return json{{"certificate", certificate},
              {"private_key", key},
              {"private_key_type", key_type},
              {"issuing_ca", chain.empty() ? "" : chain.front().get<std::string>()},
              {"ca_chain", chain},
              {"serial_number", vault_serial(text_field(metadata, "serial_number"))},
              {"expiration", epoch_seconds(text_field(metadata, "not_after"))},
              {"metadata", described}};
}

Result<void> Delivery::deliver(const json& bundle, const json& metadata) {
  if (config_.path_template.empty() || !deliverable(bundle, metadata)) return {};
  const auto path = render_delivery_path(config_.path_template, metadata, config_.default_service);
  if (!path || !check_store_path(*path))
    return make_error(ErrorCode::rejected, "the bundle's metadata does not fill the delivery path " + config_.path_template);
  if (path->starts_with(config_.reserved_prefix))
    return make_error(ErrorCode::rejected, "the delivery path " + *path + " is under the store's own prefix " + config_.reserved_prefix);
  const bool issuing = text_field(metadata, "status") == "issued";
  auto fields = delivery_fields(bundle, metadata);
  if (!fields) return std::move(fields).error();
  for (int attempt = 1;; ++attempt) {
    auto current = kv_.read(*path);
    if (!current) return std::move(current).error();
    std::uint64_t cas = 0;
    if (const auto* there = std::get_if<KvVersion>(&current.value())) {
      const Verdict verdict = compare(there->data, fields.value());
      if (verdict == Verdict::already_there) return describe(*path, fields.value());
      if (verdict == Verdict::superseded) return {};
      if (verdict == Verdict::foreign)
        return make_error(ErrorCode::rejected, kv_.mount() + "/data/" + *path + " holds a secret Signet did not deliver; "
                                               "it is not overwritten (move it, or change delivery.path)");
      if (verdict == Verdict::unrevoke)
        return make_error(ErrorCode::rejected, kv_.mount() + "/data/" + *path + " holds this certificate revoked already");
      cas = there->version;
    } else {
      // Nothing there (or its newest version deleted): a revocation has nothing to mark.
      if (!issuing) return {};
      if (const auto* deleted = std::get_if<KvDeleted>(&current.value())) cas = deleted->version;
    }
    auto written = kv_.write(*path, fields.value(), cas);
    if (written) {
      logger_.info("delivered a certificate bundle to Vault",
                   {{"path", kv_.mount() + "/data/" + *path}, {"version", written.value()},
                    {"certificate_id", text_field(metadata, "certificate_id")}, {"status", text_field(metadata, "status")}});
      return describe(*path, fields.value());
    }
    if (written.error().code != ErrorCode::conflict || attempt == kAttempts) return std::move(written).error();
  }
}

// custom_metadata is a convenience for people browsing Vault: a policy that
// grants data/ only refuses it, and delivery works on without it.
Result<void> Delivery::describe(const std::string& path, const json& fields) {
  if (!config_.custom_metadata || metadata_refused_.load()) return {};
  auto written = kv_.write_custom_metadata(path, custom_metadata_of(fields.at("metadata")));
  if (written || written.error().code != ErrorCode::permission_denied) return written;
  if (!metadata_refused_.exchange(true))
    logger_.warn("Vault's policy does not let Signet write custom metadata; certificate bundles are delivered "
                 "without it (grant create/update on the metadata/ path, or set delivery.custom_metadata: false)",
                 {{"path", kv_.mount() + "/metadata/" + path}});
  return {};
}

}  // namespace signet::store_vault
