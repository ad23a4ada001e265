#include "lifecycle/scheduler.hpp"

#include "db/job_runs.hpp"

namespace signet::host {
namespace {

const char* const kSchedulerPrincipal = "system:scheduler";
// The scheduled run's name in job_runs.
const std::string kScheduledJob = "renewal";
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
  const TimePoint now = Clock::now();
  // Read first: most rounds find nothing due and need no write.
  auto read = last_job_run(db_, kScheduledJob);
  if (!read) {
    log_.warn("cannot read the last renewal run", {{"error", read.error().message}});
    return false;
  }
  if (read.value() && schedule_->next_after(*read.value()) > now) return false;
  bool due = false;
  auto written = db_.write([&](soci::session& s) {
    due = false;
    const auto last = last_job_run(s, kScheduledJob);
    if (!last) {
      insert_job_run(s, kScheduledJob, now);
      return;
    }
    if (schedule_->next_after(*last) > now) return;
    due = advance_job_run(s, kScheduledJob, *last, now);
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
