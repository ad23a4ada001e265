// The secret_changes table: a secrets API change announced before the store
// sees it, until it is settled (secrets/secret_changes.hpp says why).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct SecretChange {
  std::string request_id;  // the request's X-Request-Id; the key of the announcement
  std::string tenant_id, path, store;
  std::string action;  // "write", "delete" or "destroy"
  std::string principal, auth, source;
  // write: "rotation_interval_ms" (a number, or null to clear) when the body
  // sets it; delete and destroy: "versions" (empty: the newest).
  nlohmann::json detail = nlohmann::json::object();
};

// The announcement, made `at`.
Result<void> announce_secret_change(Database& db, const SecretChange& change, TimePoint at);
// Replaces the announcement's detail.
Result<void> set_secret_change_detail(Database& db, const std::string& request_id, const nlohmann::json& detail);
// Up to `limit` changes announced at `before` or earlier, oldest first. A
// detail that is not a JSON object reads as {}.
Result<std::vector<SecretChange>> secret_changes_announced_before(Database& db, TimePoint before, int limit);

// Inside the write transaction that settles the change: the end of its
// announcement. Throws on database errors.
void forget_secret_change(soci::session& s, const std::string& request_id);

}  // namespace signet::host
