// The last run of each scheduled job (job_runs), so a restart neither skips
// nor repeats one and hosts sharing the database run it once.
#pragma once

#include <optional>
#include <string>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// When `job` last ran; nullopt before its first round.
Result<std::optional<TimePoint>> last_job_run(Database& db, const std::string& job);

// The same three inside a write transaction (the caller decides, between
// reading and advancing, whether the run is due).
std::optional<TimePoint> last_job_run(soci::session& s, const std::string& job);
void insert_job_run(soci::session& s, const std::string& job, TimePoint at);
// Compare-and-set: moves the last run from `from` to `to`; false when
// another host moved it first.
bool advance_job_run(soci::session& s, const std::string& job, TimePoint from, TimePoint to);

}  // namespace signet::host
