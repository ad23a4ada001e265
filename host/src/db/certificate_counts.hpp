// Counts of certificates that stay cheap at millions of rows (issue 26,
// "stats that stay fast"): triggers on the certificates table keep
//  - certificate_counts: rows per (tenant, CA, status, replaced by a renewal);
//  - certificate_expiry_days: active, unreplaced certificates per (tenant,
//    CA, day of not_after): the expiry timeline, and "expiring within N
//    days" with only the partial days at its ends counted row by row.
// Triggers rather than updates in each code path: every change of status
// or of renewed_by (insert, revoke, expire, renewal) is counted, including
// ones written later, in the transaction that makes it.
#pragma once

#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// Migration 17: the tables' triggers for this engine, and the counts of the
// rows already there (expiry by week then).
void create_certificate_counters(soci::session& s);
// Migration 21: expiry counted by day as well (what this release reads; the
// weekly counts stay for hosts of the previous release during an upgrade).
void count_expiry_by_day(soci::session& s);

struct CertificateCount {
  std::string tenant_id, ca, status;  // status as stored: active, revoked, expired
  bool replaced = false;
  long long count = 0;
};
// Every count of the tenants given (all tenants when empty).
Result<std::vector<CertificateCount>> certificate_counts(Database& db, const std::vector<std::string>& tenant_ids);

struct ExpiryWeek {
  std::string tenant_id, ca;
  TimePoint week_start{};  // weeks start at the Unix epoch's weekday (Thursday 00:00 UTC)
  long long count = 0;
};
// Active, unreplaced certificates whose not_after falls in [from, until), by week.
Result<std::vector<ExpiryWeek>> expiry_weeks(Database& db, const std::vector<std::string>& tenant_ids, TimePoint from,
                                             TimePoint until);
constexpr long long kDayMs = 24LL * 3600 * 1000;
constexpr long long kWeekMs = 7 * kDayMs;

// The counts that move with time rather than with writes, each an index
// range or maintained days: active certificates past not_after that the lifecycle job has
// not marked expired yet, expiring ones, and recent revocations.
struct TimelyCounts {
  long long expiring_7d = 0, expiring_30d = 0, expiring_90d = 0;  // active, not replaced, not_after in (now, now + d]
                                                                  // (90 d only when asked for: the longest range)
  long long overdue = 0;                        // active, not replaced, not_after <= now (not marked yet)
  long long overdue_replaced = 0;               // the same, replaced by a renewal
  long long overdue_all = 0;                    // active with not_after <= now, replaced or not
  long long revoked_24h = 0;
  long long renewals_failing = 0;  // active certificates whose last renewal attempt failed
};
// `with_90d`: the 90-day window too (metrics); the overview shows 7 and 30.
Result<TimelyCounts> timely_counts(Database& db, const std::vector<std::string>& tenant_ids, TimePoint now,
                                   bool with_90d = false);

}  // namespace signet::host
