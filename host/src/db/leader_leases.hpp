// Leader leases on SQLite (leader_leases): a row per job naming its holder
// until a time. PostgreSQL uses session advisory locks instead (db/advisory_locks.hpp).
#pragma once

#include <string>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// Takes `name` for `owner` until `until`, or extends it when `owner` holds
// it already; false while another owner's lease runs past `now`.
Result<bool> take_leader_lease(Database& db, const std::string& name, const std::string& owner, TimePoint now,
                               TimePoint until);
// Gives it up, when `owner` holds it.
Result<void> drop_leader_lease(Database& db, const std::string& name, const std::string& owner);
// Who holds `name` at `now` ("" when nobody).
Result<std::string> leader_lease_holder(Database& db, const std::string& name, TimePoint now);

}  // namespace signet::host
