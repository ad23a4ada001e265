#include "db/job_runs.hpp"

#include "db/prepared.hpp"

namespace signet::host {

Result<std::optional<TimePoint>> last_job_run(Database& db, const std::string& job) {
  try {
    Connection connection(db);
    return last_job_run(*connection, job);
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

std::optional<TimePoint> last_job_run(soci::session& s, const std::string& job) {
  const auto last = query_number(s, "SELECT last_run_at FROM job_runs WHERE name = :name", {job});
  if (!last) return std::nullopt;
  return from_unix_ms(*last);
}

void insert_job_run(soci::session& s, const std::string& job, TimePoint at) {
  const long long ms = to_unix_ms(at);
  execute(s, "INSERT INTO job_runs (name, last_run_at) VALUES (:name, :now)", {job, ms});
}

bool advance_job_run(soci::session& s, const std::string& job, TimePoint from, TimePoint to) {
  const long long last = to_unix_ms(from), now = to_unix_ms(to);
  return execute(s, "UPDATE job_runs SET last_run_at = :now WHERE name = :name AND last_run_at = :last",
                 {now, job, last}) == 1;
}

}  // namespace signet::host
