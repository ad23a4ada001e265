// The secrets API changes two systems: the store instance that holds the
// values and the database that holds the paths and the audit log. So a
// change is announced (a secret_changes row) before the store sees it, and
// settled after: the path's metadata, the audit record and the end of the
// announcement in one transaction. When settling never happens (the host
// stopped, the database or the audit log failed in between), the lifecycle
// round settles the change once it is kUnsettledAfter old: the store says
// whether it happened, and the audit log gets a record either way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <signet/services.hpp>
#include <string>

#include "db/database.hpp"
#include "db/secret_changes.hpp"  // SecretChange
#include "plugins/instances.hpp"

namespace signet::host {

// Where the secrets API keeps a tenant's path in the store instance.
inline std::string secret_store_path(const std::string& tenant_id, const std::string& path) {
  return "tenants/" + tenant_id + "/secrets/" + path;
}

class SecretChanges {
 public:
  // Far longer than a request takes, so a change still in flight is never
  // taken for an interrupted one.
  static constexpr std::chrono::minutes kUnsettledAfter{5};

  SecretChanges(Database& db, const PluginInstances& instances, signet::Logger& log)
      : db_(db), instances_(instances), log_(log) {}

  // Before the store sees the change; when this fails the change must not
  // be made.
  Result<void> announce(const SecretChange& change);
  // The store made `version`: the path's metadata, the audit record. Returns
  // when the rotation interval next asks for a new version (0: never).
  Result<long long> settle_write(const SecretChange& change, std::uint64_t version,
                                 const nlohmann::json& audit_extra = nlohmann::json::object());
  // The store deleted or destroyed the versions: the audit record.
  Result<void> settle_delete(const SecretChange& change, const nlohmann::json& audit_extra = nlohmann::json::object());
  // The store did not make the change: a failure record with `error_code`.
  Result<void> settle_failure(const SecretChange& change, const std::string& error_code,
                              const nlohmann::json& audit_extra = nlohmann::json::object());
  // The store refused the change and its failure record could not be
  // written (the audit log is down): the announcement keeps the refusal, so
  // the round records it as it was instead of asking the store.
  void remember_refusal(const SecretChange& change, const std::string& error_code);

  // The lifecycle round: settles the changes announced kUnsettledAfter ago
  // or earlier by what the store holds now.
  void settle_unsettled();

 private:
  // The audit record of a change and the end of its announcement, in one
  // transaction after `first` (a write's metadata).
  Result<void> settle(const SecretChange& change, const std::string& outcome, nlohmann::json detail,
                      const nlohmann::json& audit_extra, const std::function<void(soci::session&)>& first = {});
  void settle_interrupted(const SecretChange& change);
  // Whether an interrupted change reached the store: for a write, the
  // version it made (0: none); for a delete, 1 when every version it named
  // is gone, 0 otherwise.
  Result<std::uint64_t> reached_store(const SecretChange& change);

  Database& db_;
  const PluginInstances& instances_;
  signet::Logger& log_;
};

}  // namespace signet::host
