#include "lifecycle/leader_lease.hpp"

#include "db/leader_leases.hpp"

namespace signet::host {

Result<bool> LeaderLease::acquire() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).try_hold(name_);
  std::lock_guard lock(mutex_);
  const TimePoint started = Clock::now();
  if (held_until_ - started > ttl_ / 2) return true;
  // Whole milliseconds, as the row keeps it.
  const TimePoint until = from_unix_ms(to_unix_ms(started + ttl_));
  auto held = take_leader_lease(db_, name_, owner_, started, until);
  if (!held) return held;
  held_until_ = held.value() ? until : TimePoint{};
  return held;
}

void LeaderLease::release() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).release(name_);
  {
    std::lock_guard lock(mutex_);
    held_until_ = TimePoint{};
  }
  (void)drop_leader_lease(db_, name_, owner_);
}

std::string LeaderLease::holder() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).holder(name_);
  auto held_by = leader_lease_holder(db_, name_, Clock::now());
  return held_by ? held_by.value() : std::string();
}

}  // namespace signet::host
