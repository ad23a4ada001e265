// Kind `store`: versioned secret storage with check-and-set.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <signet/plugin.hpp>

namespace signet {

struct PutRequest {
  std::string path;     // "tenants/payments/certs/crt_.../bundle"
  std::string data;     // opaque bytes
  // Check-and-set: absent = write unconditionally; 0 = only if the path has
  // no version yet; N = only if the current version is N. A mismatch is
  // Error{conflict}.
  std::optional<std::uint64_t> cas;
  nlohmann::json metadata = nlohmann::json::object();  // never secret
};

struct GetRequest {
  std::string path;
  // Absent: the newest version. A deleted or destroyed version (the newest
  // one included) is Error{not_found}; older versions stay readable.
  std::optional<std::uint64_t> version;
};

struct Secret {
  std::string path;
  std::uint64_t version = 0;
  std::string data;
  nlohmann::json metadata = nlohmann::json::object();
  std::chrono::system_clock::time_point created_at;
};

struct DeleteRequest {
  std::string path;
  std::vector<std::uint64_t> versions;  // empty: the newest version
};

class SIGNET_SDK_API SecretStore : public Plugin {
 public:
  // Returns the new version number (1 for a new path).
  virtual Result<std::uint64_t> put(const PutRequest& request) = 0;
  // Error{not_found} for unknown paths and for deleted or destroyed versions.
  virtual Result<Secret> get(const GetRequest& request) = 0;
  // Paths (not versions) that start with prefix, sorted.
  virtual Result<std::vector<std::string>> list(const std::string& prefix) = 0;
  // Soft delete: the versions can no longer be read but still exist.
  virtual Result<void> remove(const DeleteRequest& request) = 0;
  // Erases the versions' data for good.
  virtual Result<void> destroy(const DeleteRequest& request) = 0;
};

}  // namespace signet
