#include "lifecycle/leader_lease.hpp"

#include "db/prepared.hpp"
#include "util/time.hpp"

namespace signet::host {

Result<bool> LeaderLease::acquire() {
  bool held = false;
  const long long now = to_unix_ms(Clock::now());
  const long long until = to_unix_ms(Clock::now() + ttl_);
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
  return held;
}

void LeaderLease::release() {
  (void)db_.write([&](soci::session& s) {
    execute(s, "DELETE FROM leader_leases WHERE name = :n AND owner = :o", {name_, owner_});
  });
}

std::string LeaderLease::holder() {
  try {
    soci::session s(db_.pool());
    const long long now = to_unix_ms(Clock::now());
    return query_text(s, "SELECT owner FROM leader_leases WHERE name = :n AND until >= :now", {name_, now}).value_or("");
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace signet::host
