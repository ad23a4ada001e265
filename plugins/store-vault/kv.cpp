#include "kv.hpp"

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace signet::store_vault {
namespace {

using nlohmann::json;

// The text KV v2 answers a check-and-set mismatch with (path_data.go).
constexpr const char* kCasMismatch = "check-and-set parameter did not match the current version";

using vault::object_field;

std::uint64_t version_in(const json& metadata) {
  return static_cast<std::uint64_t>(std::max(0LL, vault::int_field(metadata, "version")));
}

bool succeeded(const vault::Response& r) { return r.status >= 200 && r.status < 300; }

}  // namespace

std::chrono::system_clock::time_point vault_time(const std::string& rfc3339) {
  std::tm tm{};
  std::istringstream in(rfc3339);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<KvRead> Kv::read(const std::string& path, std::optional<std::uint64_t> version) {
  const std::string query = version ? "?version=" + std::to_string(*version) : "";
  auto answer = client_.call("GET", url("data", path) + query);
  if (!answer) return std::move(answer).error();
  const json& outer = object_field(answer->body, "data");
  const json& metadata = object_field(outer, "metadata");
  if (answer->status == 200 && outer.contains("data") && outer.at("data").is_object())
    return KvRead{KvVersion{version_in(metadata), outer.at("data"), vault_time(vault::text_field(metadata, "created_time"))}};
  if (answer->status == 404) {
    // A deleted or destroyed version: 404 with the version's metadata.
    const bool destroyed = vault::bool_field(metadata, "destroyed");
    if (version_in(metadata) > 0 && (!vault::text_field(metadata, "deletion_time").empty() || destroyed))
      return KvRead{KvDeleted{version_in(metadata), destroyed}};
    if (answer->errors().empty()) return KvRead{KvMissing{}};
  }
  return vault::error_from(*answer, "reading " + mount_ + "/data/" + path);
}

Result<std::optional<std::uint64_t>> Kv::current_version(const std::string& path) {
  auto newest = read(path);
  if (!newest) return std::move(newest).error();
  if (const auto* v = std::get_if<KvVersion>(&newest.value())) return std::optional<std::uint64_t>(v->version);
  if (const auto* d = std::get_if<KvDeleted>(&newest.value())) return std::optional<std::uint64_t>(d->version);
  return std::optional<std::uint64_t>();
}

Result<std::uint64_t> Kv::write(const std::string& path, const json& data, std::uint64_t cas) {
  auto answer = client_.call("POST", url("data", path), json{{"options", {{"cas", cas}}}, {"data", data}});
  if (!answer) return std::move(answer).error();
  if (answer->status == 200) {
    const std::uint64_t written = version_in(object_field(answer->body, "data"));
    if (written > 0) return written;
    return make_error(ErrorCode::internal, "Vault's answer to a write of " + mount_ + "/data/" + path + " names no version");
  }
  if (answer->status == 400 && answer->errors().find(kCasMismatch) != std::string::npos)
    return make_error(ErrorCode::conflict, "check-and-set: " + mount_ + "/data/" + path + " is not at version " +
                                               std::to_string(cas) + " (Vault: " + kCasMismatch + ")");
  return vault::error_from(*answer, "writing " + mount_ + "/data/" + path);
}

Result<void> Kv::versions_call(const char* endpoint, const std::string& path, const std::vector<std::uint64_t>& versions) {
  auto answer = client_.call("POST", url(endpoint, path), json{{"versions", versions}});
  if (!answer) return std::move(answer).error();
  if (succeeded(*answer)) return {};
  return vault::error_from(*answer, std::string(endpoint) + " of " + mount_ + "/" + endpoint + "/" + path);
}

Result<void> Kv::remove(const std::string& path, const std::vector<std::uint64_t>& versions) {
  if (!versions.empty()) return versions_call("delete", path, versions);
  // The newest version: DELETE on data/, which a policy granting data/ only allows.
  auto answer = client_.call("DELETE", url("data", path));
  if (!answer) return std::move(answer).error();
  if (succeeded(*answer)) return {};
  return vault::error_from(*answer, "deleting " + mount_ + "/data/" + path);
}

Result<void> Kv::destroy(const std::string& path, const std::vector<std::uint64_t>& versions) {
  if (!versions.empty()) return versions_call("destroy", path, versions);
  auto newest = current_version(path);
  if (!newest) return std::move(newest).error();
  if (!newest.value()) return make_error(ErrorCode::not_found, "nothing at " + mount_ + "/data/" + path);
  return versions_call("destroy", path, {*newest.value()});
}

Result<std::vector<std::string>> Kv::list(const std::string& folder) {
  auto answer = list_method_ == ListMethod::verb ? client_.call("LIST", url("metadata", folder))
                                                 : client_.call("GET", url("metadata", folder) + "?list=true");
  if (!answer) return std::move(answer).error();
  std::vector<std::string> keys;
  if (answer->status == 404 && answer->errors().empty()) return keys;  // nothing under it
  if (answer->status != 200) return vault::error_from(*answer, "listing " + mount_ + "/metadata/" + folder);
  const json& found = object_field(answer->body, "data");
  if (const auto it = found.find("keys"); it != found.end() && it->is_array())
    for (const auto& key : *it)
      if (key.is_string()) keys.push_back(key.get<std::string>());
  return keys;
}

Result<void> Kv::write_custom_metadata(const std::string& path, const json& custom_metadata) {
  auto answer = client_.call("POST", url("metadata", path), json{{"custom_metadata", custom_metadata}});
  if (!answer) return std::move(answer).error();
  if (succeeded(*answer)) return {};
  return vault::error_from(*answer, "writing the metadata of " + mount_ + "/metadata/" + path);
}

}  // namespace signet::store_vault
