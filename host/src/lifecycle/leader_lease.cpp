#include "lifecycle/leader_lease.hpp"

#include "db/prepared.hpp"

namespace signet::host {

Result<bool> LeaderLease::acquire() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).try_hold(name_);
  std::lock_guard lock(mutex_);
  const TimePoint started = Clock::now();
  if (held_until_ - started > ttl_ / 2) return true;
  bool held = false;
  const long long now = to_unix_ms(started);
  const long long until = to_unix_ms(started + ttl_);
  auto written = db_.write([&](soci::session& s) {
    held = execute(s, "UPDATE leader_leases SET owner = :o, until = :u WHERE name = :n AND (owner = :o2 OR until < :now)",
                   {owner_, until, name_, owner_, now}) == 1;
    if (!held)
      held = execute(s,
                     "INSERT INTO leader_leases (name, owner, until) SELECT :n, :o, :u "
                     "WHERE NOT EXISTS (SELECT 1 FROM leader_leases WHERE name = :n2)",
                     {name_, owner_, until, name_}) == 1;
  });
  if (!written) return std::move(written).error();
  held_until_ = held ? from_unix_ms(until) : TimePoint{};
  return held;
}

void LeaderLease::release() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).release(name_);
  {
    std::lock_guard lock(mutex_);
    held_until_ = TimePoint{};
  }
  (void)db_.write([&](soci::session& s) {
    execute(s, "DELETE FROM leader_leases WHERE name = :n AND owner = :o", {name_, owner_});
  });
}

std::string LeaderLease::holder() {
  if (!db_.is_sqlite()) return db_.advisory_locks(owner_).holder(name_);
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    const long long now = to_unix_ms(Clock::now());
    return query_text(s, "SELECT owner FROM leader_leases WHERE name = :n AND until >= :now", {name_, now}).value_or("");
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace signet::host
