#include "lifecycle/scheduler.hpp"

#include "db/prepared.hpp"

namespace signet::host {
namespace {

const char* const kSchedulerPrincipal = "system:scheduler";
// Expiry warnings count in days: looking once a minute is plenty.
constexpr std::chrono::minutes kSlowJobsInterval{1};

}  // namespace

LifecycleScheduler::LifecycleScheduler(Database& db, Runner& runner, Renewals& renewals, SecretChanges& secret_changes,
                                       const Config& config, signet::Logger& log, const std::string& host_id)
    : db_(db), renewals_(renewals), secret_changes_(secret_changes), jobs_(db, runner, config, log), config_(config), log_(log),
      // Three rounds' grace before another host takes over from a silent leader.
      lease_(db, "lifecycle", host_id, std::max<std::chrono::milliseconds>(config.lifecycle.interval * 3, std::chrono::seconds(15))) {}

Result<void> LifecycleScheduler::start() {
  std::string error;
  schedule_ = CronSchedule::parse(config_.renewal.schedule, error);
  if (!schedule_) return make_error(ErrorCode::invalid_config, "renewal.schedule: " + error);
  thread_.start(config_.lifecycle.interval, [this] { round(false); });
  return {};
}

void LifecycleScheduler::stop() {
  thread_.stop();
  lease_.release();
}

void LifecycleScheduler::run_now() { round(true); }

// The scheduled run is due when the schedule named a time after the last
// run that has come. The first round of a new database only starts the clock.
bool LifecycleScheduler::scheduled_run_due() {
  const long long now = to_unix_ms(Clock::now());
  // Read first: most rounds find nothing due and need no write.
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    const auto last = query_number(s, "SELECT last_run_at FROM job_runs WHERE name = 'renewal'", {});
    if (last && to_unix_ms(schedule_->next_after(from_unix_ms(*last))) > now) return false;
  } catch (const std::exception& e) {
    log_.warn("cannot read the last renewal run", {{"error", database_error(e).message}});
    return false;
  }
  bool due = false;
  auto written = db_.write([&](soci::session& s) {
    due = false;
    const auto last = query_number(s, "SELECT last_run_at FROM job_runs WHERE name = 'renewal'", {});
    if (!last) {
      execute(s, "INSERT INTO job_runs (name, last_run_at) VALUES ('renewal', :now)", {now});
      return;
    }
    if (to_unix_ms(schedule_->next_after(from_unix_ms(*last))) > now) return;
    due = execute(s, "UPDATE job_runs SET last_run_at = :now WHERE name = 'renewal' AND last_run_at = :last", {now, *last}) == 1;
  });
  return written && due;
}

void LifecycleScheduler::round(bool everything) {
  std::lock_guard lock(round_mutex_);
  auto leading = lease_.acquire();
  if (!leading || !leading.value()) return;
  jobs_.revoke_at_end_of_use();
  jobs_.mark_expired();
  if (everything || Clock::now() >= next_slow_jobs_) {
    jobs_.warn_expiring();
    jobs_.announce_secret_rotations();
    renewals_.release_orphaned_claims();
    secret_changes_.settle_unsettled();
    next_slow_jobs_ = Clock::now() + kSlowJobsInterval;
  }
  const bool scheduled = scheduled_run_due();
  auto run = renewals_.run_due("", kSchedulerPrincipal, !scheduled);
  if (!run && run.error().code != ErrorCode::conflict)
    log_.warn("renewal run failed", {{"error", run.error().message}, {"scheduled", scheduled}});
}

}  // namespace signet::host
