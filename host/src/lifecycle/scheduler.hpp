// The lifecycle scheduler: every lifecycle.interval the host holding the
// "lifecycle" leader lease runs the jobs (lifecycle/jobs.hpp), retries
// failed renewals whose back-off has passed, and, when renewal.schedule
// (cron, UTC) says so, renews every due certificate. The last scheduled run
// is kept in the database (job_runs), so a restart neither skips nor
// repeats one, and several hosts sharing a database run it once. Secret
// changes a host left unsettled are settled here too.
#pragma once

#include <mutex>
#include <string>

#include <signet/services.hpp>

#include "util/cron.hpp"
#include "lifecycle/jobs.hpp"
#include "lifecycle/leader_lease.hpp"
#include "lifecycle/renewals.hpp"
#include "secrets/secret_changes.hpp"
#include "util/periodic_thread.hpp"

namespace signet::host {

class LifecycleScheduler {
 public:
  LifecycleScheduler(Database& db, Runner& runner, Renewals& renewals, SecretChanges& secret_changes,
                     const Config& config, signet::Logger& log, const std::string& host_id);
  ~LifecycleScheduler() { stop(); }

  Result<void> start();
  void stop();
  // Runs a round now, with every job, when this host leads (the test
  // clock, after moving time). Returns once the round is over.
  void run_now();

 private:
  void round(bool everything);
  bool scheduled_run_due();

  Database& db_;
  Renewals& renewals_;
  SecretChanges& secret_changes_;
  LifecycleJobs jobs_;
  const Config& config_;
  signet::Logger& log_;
  LeaderLease lease_;
  std::optional<CronSchedule> schedule_;
  std::mutex round_mutex_;  // one round at a time: the thread's or run_now()'s
  TimePoint next_slow_jobs_{};
  PeriodicThread thread_;
};

}  // namespace signet::host
