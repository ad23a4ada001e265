// Vault's KV version 2 engine at one mount, as its HTTP API has it
// (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2): versions
// under data/, their lifecycle under delete/, undelete/ and destroy/, and
// keys and custom metadata under metadata/ (vault#7161: the prefix is the
// engine's, never the caller's). A soft-deleted or destroyed version
// answers 404 *with* a body naming it (hvac#906): read() tells it apart
// from a path or version that never existed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <vault/client.hpp>

namespace signet::store_vault {

struct KvVersion {
  std::uint64_t version = 0;
  nlohmann::json data;  // the version's key/value map
  std::chrono::system_clock::time_point created_at;
};

struct KvDeleted {
  std::uint64_t version = 0;
  bool destroyed = false;
};

struct KvMissing {};

using KvRead = std::variant<KvVersion, KvDeleted, KvMissing>;

// Vault's times ("2018-03-22T02:24:06.945319214Z"), to the second; the
// epoch when the text is not one.
std::chrono::system_clock::time_point vault_time(const std::string& rfc3339);

enum class ListMethod { verb, query };  // LIST /v1/... or GET /v1/...?list=true

class Kv {
 public:
  Kv(vault::Client& client, std::string mount, ListMethod list_method)
      : client_(client), mount_(std::move(mount)), list_method_(list_method) {}

  // A version (the newest when absent): there, deleted/destroyed, or missing.
  Result<KvRead> read(const std::string& path, std::optional<std::uint64_t> version = std::nullopt);
  // The newest version number, deleted or not; nullopt when the path has none.
  Result<std::optional<std::uint64_t>> current_version(const std::string& path);
  // Writes a new version with options.cas = `cas` (0: the path has none):
  // the new version number, or Error{conflict} when cas did not match.
  Result<std::uint64_t> write(const std::string& path, const nlohmann::json& data, std::uint64_t cas);
  // Soft delete (Vault's undelete brings a version back) and destroy of
  // versions; empty: the newest.
  Result<void> remove(const std::string& path, const std::vector<std::uint64_t>& versions);
  Result<void> destroy(const std::string& path, const std::vector<std::uint64_t>& versions);
  // The keys of one folder ("a/b/"; "" for the mount's root), folders
  // ending in '/'. A folder with nothing under it answers 404: empty.
  Result<std::vector<std::string>> list(const std::string& folder);
  // custom_metadata of the path (metadata/ endpoint): string values only.
  Result<void> write_custom_metadata(const std::string& path, const nlohmann::json& custom_metadata);

  const std::string& mount() const { return mount_; }

 private:
  std::string url(const char* endpoint, const std::string& path) const { return mount_ + "/" + endpoint + "/" + path; }
  Result<void> versions_call(const char* endpoint, const std::string& path, const std::vector<std::uint64_t>& versions);

  vault::Client& client_;
  std::string mount_;
  ListMethod list_method_;
};

}  // namespace signet::store_vault
