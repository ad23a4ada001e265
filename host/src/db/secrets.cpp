#include "db/secrets.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {

Result<std::optional<long long>> current_secret_version(Database& db, const std::string& tenant_id,
                                                        const std::string& path) {
  return read(db, [&](soci::session& s) -> Result<std::optional<long long>> {
    return query_number(s, "SELECT current_version FROM secrets WHERE tenant_id = :t AND path = :p", {tenant_id, path});
  });
}

Result<std::vector<SecretPath>> list_secret_paths(Database& db, const std::string& tenant_id, const std::string& prefix,
                                                  const std::string& after, int limit) {
  return read(db, [&](soci::session& s) -> Result<std::vector<SecretPath>> {
    const std::string pattern = like_literal(prefix) + "%";  // named: soci binds by reference
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT path, current_version, rotation_interval_ms, rotate_at, updated_at FROM secrets "
                      "WHERE tenant_id = :t AND path LIKE :p ESCAPE '\\' AND path > :a ORDER BY path LIMIT " << limit,
         soci::use(tenant_id), soci::use(pattern), soci::use(after));
    std::vector<SecretPath> out;
    for (const auto& r : rows) {
      SecretPath p;
      p.path = r.get<std::string>(0);
      p.current_version = r.get<long long>(1);
      if (r.get_indicator(2) == soci::i_ok) p.rotation_interval = std::chrono::milliseconds(r.get<long long>(2));
      p.rotate_at = time_at(r, 3);
      p.updated_at = from_unix_ms(r.get<long long>(4));
      out.push_back(std::move(p));
    }
    return out;
  });
}

Result<std::vector<DueRotation>> secrets_due_for_rotation(Database& db, TimePoint now, int limit) {
  const long long now_ms = to_unix_ms(now);
  return read(db, [&](soci::session& s) -> Result<std::vector<DueRotation>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT tenant_id, path, current_version, rotate_at FROM secrets WHERE rotate_at IS NOT NULL AND "
                      "rotate_at <= :now AND (rotation_event_at IS NULL OR rotation_event_at < rotate_at) LIMIT "
                   << limit,
         soci::use(now_ms));
    std::vector<DueRotation> out;
    for (const auto& r : rows)
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<long long>(2),
                     from_unix_ms(r.get<long long>(3))});
    return out;
  });
}

// INSERT ... WHERE NOT EXISTS is portable (SQLite and PostgreSQL).
void insert_secret_path_if_absent(soci::session& s, const std::string& tenant_id, const std::string& path,
                                  const std::string& store, long long version, TimePoint now) {
  const long long now_ms = to_unix_ms(now);
  execute(
      s,
      "INSERT INTO secrets (tenant_id, path, store, current_version, created_at, updated_at) SELECT :t, :p, :s, :v, "
      ":c, :u WHERE NOT EXISTS (SELECT 1 FROM secrets WHERE tenant_id = :t2 AND path = :p2)",
      {tenant_id, path, store, version, now_ms, now_ms, tenant_id, path});
}

void set_rotation_interval(soci::session& s, const std::string& tenant_id, const std::string& path,
                           std::optional<std::chrono::milliseconds> interval) {
  execute(s, "UPDATE secrets SET rotation_interval_ms = :i WHERE tenant_id = :t AND path = :p",
          {interval ? SqlParam(static_cast<long long>(interval->count())) : SqlParam::null_number(), tenant_id, path});
}

std::optional<std::chrono::milliseconds> rotation_interval(soci::session& s, const std::string& tenant_id,
                                                           const std::string& path) {
  const auto every = query_number(s, "SELECT rotation_interval_ms FROM secrets WHERE tenant_id = :t AND path = :p",
                                  {tenant_id, path});
  if (!every) return std::nullopt;
  return std::chrono::milliseconds(*every);
}

void set_current_version(soci::session& s, const std::string& tenant_id, const std::string& path, long long version,
                         TimePoint now, std::optional<TimePoint> rotate_at) {
  const long long now_ms = to_unix_ms(now);
  execute(s,
          "UPDATE secrets SET current_version = :v, updated_at = :u, rotate_at = :r, rotation_event_at = NULL "
          "WHERE tenant_id = :t AND path = :p AND current_version <= :v2",
          {version, now_ms,
           rotate_at ? SqlParam(static_cast<long long>(to_unix_ms(*rotate_at))) : SqlParam::null_number(), tenant_id,
           path, version});
}

void mark_rotation_announced(soci::session& s, const std::string& tenant_id, const std::string& path, TimePoint at) {
  execute(s, "UPDATE secrets SET rotation_event_at = :now WHERE tenant_id = :t AND path = :p",
          {static_cast<long long>(to_unix_ms(at)), tenant_id, path});
}

}  // namespace signet::host
