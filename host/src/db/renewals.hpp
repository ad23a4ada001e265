// The renewal columns of certificates: which certificates are due, the
// claim a renewal holds on its certificate, failed attempts and their
// back-off, and the link from a replaced certificate to its successor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// One profile's due certificates (lifecycle/renewals.hpp decides the budget).
struct RenewalDueQuery {
  std::string profile;
  TimePoint now{};
  TimePoint horizon{};        // now + the profile's renewal threshold
  bool retries_only = false;  // only those whose last renewal failed (and whose back-off has passed)
  std::string tenant_id;      // "" for every tenant
  int limit = 0;
};
struct DueRenewal {
  std::string id, tenant_id;
};
// Active, auto-renewed, neither replaced nor claimed, with remaining <=
// min(threshold, lifetime / 3) and any back-off passed; soonest to expire first.
Result<std::vector<DueRenewal>> due_renewals(Database& db, const RenewalDueQuery& query);

// Claims the certificate for the renewal request `request_id`; false when it
// was replaced, another renewal holds it, or it is revoked.
Result<bool> claim_renewal(Database& db, const std::string& tenant_id, const std::string& id,
                           const std::string& request_id, TimePoint now);
// Gives the claim up, when `request_id` still holds it.
Result<void> release_renewal_claim(Database& db, const std::string& tenant_id, const std::string& id,
                                   const std::string& request_id);
// Releases the claims taken before `claimed_before` whose request never reached the database.
Result<void> release_orphaned_renewal_claims(Database& db, TimePoint claimed_before);

// A failed renewal attempt: the count so far and when to try again.
struct RenewalFailure {
  int attempts = 0;
  TimePoint next_attempt_at{};
  std::string error;  // "<code>: <message>"
};

// Inside the transaction recording a renewal request's final failure:
// the claim `request_id` holds, then the failure counted and the claim released.
struct ClaimedRenewal {
  int failed_attempts = 0;  // before this one
  TimePoint not_after{};
};
std::optional<ClaimedRenewal> claimed_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                                              const std::string& request_id);
void record_failed_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                           const std::string& request_id, const RenewalFailure& failure);
// A renewal refused before it became a request: the failure counted, no claim involved.
void record_refused_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                            const RenewalFailure& failure, TimePoint at);

// Inside the transaction recording the successor `new_id`: the replaced
// certificate points at it and its renewal is over, and the successor
// counts one renewal more than it.
void link_renewal(soci::session& s, const std::string& tenant_id, const std::string& old_id, const std::string& new_id,
                  TimePoint at);

}  // namespace signet::host
