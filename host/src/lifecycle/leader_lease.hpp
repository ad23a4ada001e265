// One holder at a time for a job, across every host sharing the database.
// On SQLite: a row of leader_leases held until a time, extended by its
// holder and taken over once it lapses (a holder that died); the row shows
// who holds the job. On PostgreSQL: a session advisory lock
// (db/advisory_locks.hpp), which ends with its holder's connection, no
// clock involved; pg_stat_activity shows who holds it.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

class LeaderLease {
 public:
  LeaderLease(Database& db, std::string name, std::string owner, std::chrono::milliseconds ttl)
      : db_(db), name_(std::move(name)), owner_(std::move(owner)), ttl_(ttl) {}

  // Takes the lease, or extends it when this owner holds it already; false
  // while another owner's lease is still running. A lease with more than
  // half its time left is kept without a write.
  Result<bool> acquire();
  // Gives the lease up at once (a clean shutdown, the end of a run).
  void release();
  // Who holds it now ("" when nobody).
  std::string holder();

  const std::string& owner() const { return owner_; }

 private:
  Database& db_;
  std::string name_, owner_;
  std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  TimePoint held_until_{};  // guarded by mutex_; in the past when not held
};

}  // namespace signet::host
