#include "db/leader_leases.hpp"

#include "db/prepared.hpp"

namespace signet::host {

Result<bool> take_leader_lease(Database& db, const std::string& name, const std::string& owner, TimePoint now,
                               TimePoint until) {
  const long long now_ms = to_unix_ms(now), until_ms = to_unix_ms(until);
  bool held = false;
  auto written = db.write([&](soci::session& s) {
    held = execute(s,
                   "UPDATE leader_leases SET owner = :o, until = :u "
                   "WHERE name = :n AND (owner = :o2 OR until < :now)",
                   {owner, until_ms, name, owner, now_ms}) == 1;
    // No row yet: the first holder makes it (portable: no ON CONFLICT).
    if (!held)
      held = execute(s,
                     "INSERT INTO leader_leases (name, owner, until) SELECT :n, :o, :u "
                     "WHERE NOT EXISTS (SELECT 1 FROM leader_leases WHERE name = :n2)",
                     {name, owner, until_ms, name}) == 1;
  });
  if (!written) return std::move(written).error();
  return held;
}

Result<void> drop_leader_lease(Database& db, const std::string& name, const std::string& owner) {
  return db.write([&](soci::session& s) {
    execute(s, "DELETE FROM leader_leases WHERE name = :n AND owner = :o", {name, owner});
  });
}

Result<std::string> leader_lease_holder(Database& db, const std::string& name, TimePoint now) {
  return read(db, [&](soci::session& s) -> Result<std::string> {
    const long long now_ms = to_unix_ms(now);
    return query_text(s, "SELECT owner FROM leader_leases WHERE name = :n AND until >= :now", {name, now_ms})
        .value_or("");
  });
}

}  // namespace signet::host
