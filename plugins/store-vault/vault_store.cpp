#include "vault_store.hpp"

#include <algorithm>

#include <encoding/base64.hpp>

#include "paths.hpp"

namespace signet::store_vault {
namespace {

using nlohmann::json;

constexpr int kUnconditionalAttempts = 10;  // a put without cas: read the version, write on top of it
constexpr int kMaxListDepth = 32;           // folders below the one listed

// A key of a LIST answer that may name a path here: one segment, or one
// and a '/' for a folder.
bool listable_key(const std::string& key) {
  const std::string segment = !key.empty() && key.back() == '/' ? key.substr(0, key.size() - 1) : key;
  return segment.find('/') == std::string::npos && check_store_path(segment);
}

// KV values are JSON: text as it is, other bytes in base64.
json entry_of(const PutRequest& request) {
  json entry = {{"metadata", request.metadata.is_object() ? request.metadata : json::object()}};
  try {
    (void)json(request.data).dump();  // throws on invalid UTF-8
    entry["value"] = request.data;
  } catch (const json::exception&) {
    entry["value_base64"] = encoding::base64(request.data);
  }
  return entry;
}

Result<std::string> value_of(const json& entry, const std::string& path) {
  if (entry.contains("value") && entry.at("value").is_string()) return entry.at("value").get<std::string>();
  if (entry.contains("value_base64") && entry.at("value_base64").is_string())
    if (auto bytes = encoding::base64_decode(entry.at("value_base64").get<std::string>())) return std::move(*bytes);
  return make_error(ErrorCode::internal, "the KV secret at " + path + " was not written by store-vault (no value field)");
}

std::string version_text(std::optional<std::uint64_t> version) {
  return version ? "version " + std::to_string(*version) : "the newest version";
}

}  // namespace

VaultStore::VaultStore(std::unique_ptr<vault::Client> client, StoreConfig config, HostServices& services)
    : client_(std::move(client)),
      config_(std::move(config)),
      kv_(*client_, config_.mount, config_.list_method),
      delivery_(kv_, config_.delivery, services.logger()) {}

// Vault up and unsealed, and this token allowed to read under the prefix.
Result<void> VaultStore::health() {
  if (auto up = client_->health(); !up) return up;
  auto read = kv_.read(kv_path("signet-health-check"));
  if (!read) return std::move(read).error();
  return {};
}

Result<std::uint64_t> VaultStore::write(const std::string& path, const json& entry, std::optional<std::uint64_t> cas) {
  if (cas) return kv_.write(kv_path(path), entry, *cas);
  // Without cas the host asks to write whatever is there: Vault still gets
  // one (the version just read), so no write ever lands blind.
  for (int attempt = 1;; ++attempt) {
    auto newest = kv_.current_version(kv_path(path));
    if (!newest) return std::move(newest).error();
    auto written = kv_.write(kv_path(path), entry, newest.value().value_or(0));
    if (written || written.error().code != ErrorCode::conflict) return written;
    if (attempt == kUnconditionalAttempts)  // never conflict: the host asked for no check
      return make_error(ErrorCode::unavailable, "too many concurrent writers of " + path + "; try again");
  }
}

Result<std::uint64_t> VaultStore::put(const PutRequest& request) {
  if (auto valid = check_store_path(request.path); !valid) return std::move(valid).error();
  // Delivered first: a rerun after a crash between the two writes finds the
  // delivery there already and only writes the host's copy.
  const json bundle = json::parse(request.data, nullptr, false);
  if (bundle.is_object() && deliverable(bundle, request.metadata))
    if (auto delivered = delivery_.deliver(bundle, request.metadata); !delivered) return std::move(delivered).error();
  return write(request.path, entry_of(request), request.cas);
}

Result<Secret> VaultStore::get(const GetRequest& request) {
  if (!check_store_path(request.path)) return make_error(ErrorCode::not_found, "no secret at that path");
  if (request.version && *request.version == 0) return make_error(ErrorCode::not_found, "versions count from 1");  // Vault reads 0 as the newest
  auto read = kv_.read(kv_path(request.path), request.version);
  if (!read) return std::move(read).error();
  if (const auto* deleted = std::get_if<KvDeleted>(&read.value()))
    return make_error(ErrorCode::not_found, "version " + std::to_string(deleted->version) + " of " + request.path + " was " +
                                                (deleted->destroyed ? "destroyed" : "deleted (Vault's undelete restores it)"));
  if (std::holds_alternative<KvMissing>(read.value()))
    return make_error(ErrorCode::not_found, "no " + version_text(request.version) + " at " + request.path);
  const auto& found = std::get<KvVersion>(read.value());
  auto value = value_of(found.data, request.path);
  if (!value) return std::move(value).error();
  json metadata = vault::object_field(found.data, "metadata");
  return Secret{request.path, found.version, std::move(value).value(), std::move(metadata), found.created_at};
}

// KV lists one folder at a time: walk the folders the prefix can reach.
Result<void> VaultStore::list_folder(const std::string& folder, const std::string& prefix, std::vector<std::string>& out,
                                     int depth) {
  if (depth > kMaxListDepth) return make_error(ErrorCode::internal, "folders nest deeper than " + std::to_string(kMaxListDepth) + " under " + folder);
  auto keys = kv_.list(kv_path(folder));
  if (!keys) return std::move(keys).error();
  for (const auto& key : keys.value()) {
    if (!listable_key(key)) continue;  // not a path store-vault could have written
    const std::string path = folder + key;
    if (key.back() == '/') {
      if (path.starts_with(prefix) || prefix.starts_with(path))
        if (auto deeper = list_folder(path, prefix, out, depth + 1); !deeper) return deeper;
    } else if (path.starts_with(prefix)) {
      out.push_back(path);
    }
  }
  return {};
}

Result<std::vector<std::string>> VaultStore::list(const std::string& prefix) {
  const auto slash = prefix.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : prefix.substr(0, slash + 1);
  std::vector<std::string> out;
  if (!folder.empty() && !check_store_path(folder.substr(0, folder.size() - 1))) return out;  // no path is under it
  if (auto walked = list_folder(folder, prefix, out, 0); !walked) return std::move(walked).error();
  std::sort(out.begin(), out.end());
  return out;
}

Result<void> VaultStore::remove(const DeleteRequest& request) {
  if (auto valid = check_store_path(request.path); !valid) return valid;
  return kv_.remove(kv_path(request.path), request.versions);
}

Result<void> VaultStore::destroy(const DeleteRequest& request) {
  if (auto valid = check_store_path(request.path); !valid) return valid;
  return kv_.destroy(kv_path(request.path), request.versions);
}

}  // namespace signet::store_vault
