// One holder at a time for a job, across every host sharing the database:
// a row of leader_leases held until a time, extended by its holder and
// taken over once it lapses (a holder that died). Both engines run it the
// same way, and the row shows who holds the job.
#pragma once

#include <chrono>
#include <string>

#include "db/database.hpp"

namespace signet::host {

class LeaderLease {
 public:
  LeaderLease(Database& db, std::string name, std::string owner, std::chrono::milliseconds ttl)
      : db_(db), name_(std::move(name)), owner_(std::move(owner)), ttl_(ttl) {}

  // Takes the lease, or extends it when this owner holds it already; false
  // while another owner's lease is still running.
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
};

}  // namespace signet::host
