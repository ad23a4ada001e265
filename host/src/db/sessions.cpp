#include "db/sessions.hpp"

#include "db/prepared.hpp"

namespace signet::host {
namespace {

long long ms(TimePoint t) { return static_cast<long long>(to_unix_ms(t)); }

}  // namespace

Result<void> insert_session(Database& db, const SessionRow& r) {
  return db.write([&](soci::session& s) {
    execute(s,
            "INSERT INTO sessions (id_hash, principal, source, created_at, last_seen_at, idle_until, expires_at) "
            "VALUES (:id, :p, :src, :c, :l, :i, :e)",
            {r.id_hash, r.principal, r.source, ms(r.created_at), ms(r.last_seen_at), ms(r.idle_until),
             ms(r.expires_at)});
  });
}

Result<std::optional<SessionRow>> find_session(Database& db, const std::string& id_hash) {
  return read(db, [&](soci::session& s) -> Result<std::optional<SessionRow>> {
    soci::row row;
    s << "SELECT id_hash, principal, source, created_at, last_seen_at, idle_until, expires_at FROM sessions "
         "WHERE id_hash = :id AND ended_at IS NULL",
        soci::use(id_hash), soci::into(row);
    if (!s.got_data()) return std::optional<SessionRow>();
    return std::optional<SessionRow>(SessionRow{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                                                from_unix_ms(number_at(row, 3)), from_unix_ms(number_at(row, 4)),
                                                from_unix_ms(number_at(row, 5)), from_unix_ms(number_at(row, 6))});
  });
}

Result<void> touch_session(Database& db, const std::string& id_hash, TimePoint now, TimePoint idle_until) {
  return db.write([&](soci::session& s) {
    execute(s, "UPDATE sessions SET last_seen_at = :l, idle_until = :i WHERE id_hash = :id AND ended_at IS NULL",
            {ms(now), ms(idle_until), id_hash});
  });
}

Result<void> end_session(Database& db, const std::string& id_hash, TimePoint now) {
  return db.write([&](soci::session& s) {
    execute(s, "UPDATE sessions SET ended_at = :t WHERE id_hash = :id AND ended_at IS NULL", {ms(now), id_hash});
  });
}

Result<long long> delete_stale_sessions(Database& db, TimePoint now) {
  long long deleted = 0;
  const long long at = ms(now), login_limit = at - 10 * 60 * 1000;
  auto done = db.write([&](soci::session& s) {
    deleted = execute(s, "DELETE FROM sessions WHERE expires_at < :t OR idle_until < :t2 OR ended_at IS NOT NULL", {at, at});
    deleted += execute(s, "DELETE FROM oidc_logins WHERE created_at < :t", {login_limit});
  });
  if (!done) return std::move(done).error();
  return deleted;
}

Result<void> insert_oidc_login(Database& db, const OidcLoginRow& r) {
  return db.write([&](soci::session& s) {
    execute(s,
            "INSERT INTO oidc_logins (state_hash, nonce, code_verifier, return_to, created_at) VALUES (:s, :n, :v, :r, :c)",
            {r.state_hash, r.nonce, r.code_verifier, r.return_to, ms(r.created_at)});
  });
}

Result<std::optional<OidcLoginRow>> take_oidc_login(Database& db, const std::string& state_hash) {
  std::optional<OidcLoginRow> found;
  auto done = db.write([&](soci::session& s) {
    found.reset();
    soci::row row;
    s << "SELECT state_hash, nonce, code_verifier, return_to, created_at FROM oidc_logins WHERE state_hash = :s",
        soci::use(state_hash), soci::into(row);
    if (!s.got_data()) return;
    if (execute(s, "DELETE FROM oidc_logins WHERE state_hash = :s", {state_hash}) == 0) return;
    found = OidcLoginRow{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2), row.get<std::string>(3),
                         from_unix_ms(number_at(row, 4))};
  });
  if (!done) return std::move(done).error();
  return found;
}

}  // namespace signet::host
