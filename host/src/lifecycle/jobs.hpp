// The lifecycle jobs the scheduler runs every round (docs/lifecycle.md):
// revocation at the end of use, expiry marking, expiry warnings, secret
// rotation reminders. Each is safe to run again: what it did is recorded
// in the same transaction as the events it raises.
#pragma once

#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "pipeline/runner.hpp"

namespace signet::host {

class LifecycleJobs {
 public:
  LifecycleJobs(Database& db, Runner& runner, const Config& config, signet::Logger& log)
      : db_(db), runner_(runner), config_(config), log_(log) {}

  // Time-bound certificates whose end of use has come are revoked with
  // reason cessation_of_operation (invalidity date: the end of use).
  void revoke_at_end_of_use();
  // Active certificates past notAfter become expired (event: expired).
  void mark_expired();
  // One warning per threshold (lifecycle.expiry_warnings) and certificate;
  // thresholds passed unseen (the host was down) are recorded as
  // superseded by the nearer one, not sent late.
  void warn_expiring();
  // Secrets whose rotation interval has passed raise secret_rotation once.
  void announce_secret_rotations();

 private:
  std::vector<std::string> notifiers_for(const std::string& tenant_id) const;

  Database& db_;
  Runner& runner_;
  const Config& config_;
  signet::Logger& log_;
};

}  // namespace signet::host
