// What the lifecycle jobs (lifecycle/jobs.hpp) look for in certificates,
// across every tenant, and what they mark there.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// A certificate as the lifecycle jobs read it.
struct LifecycleCandidate {
  std::string id, tenant_id, ca, serial, common_name, profile, service, renewed_by;
  TimePoint not_after{};
  std::optional<TimePoint> not_after_use;
  std::optional<std::chrono::milliseconds> warned_before;  // the nearest expiry warning raised so far
  bool auto_renew = false;
};

// Active certificates whose end of use has come by `now`, soonest first.
Result<std::vector<LifecycleCandidate>> certificates_at_end_of_use(Database& db, TimePoint now, int limit);
// Active certificates past notAfter at `now`, soonest first.
Result<std::vector<LifecycleCandidate>> certificates_past_not_after(Database& db, TimePoint now, int limit);
// Active certificates expiring within `before` of `now` and not warned yet
// at `before` or nearer, soonest first.
Result<std::vector<LifecycleCandidate>> certificates_to_warn(Database& db, TimePoint now,
                                                             std::chrono::milliseconds before, int limit);

// Inside the job's write transaction, with the events they raise.
// False when the certificate is no longer active.
bool mark_certificate_expired(soci::session& s, const std::string& id, TimePoint at);
// False when a warning at `before` or nearer was recorded already.
bool record_expiry_warning(soci::session& s, const std::string& id, std::chrono::milliseconds before);

}  // namespace signet::host
