#include "db/certificate_counts.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

// SQLite: a trigger body is a list of statements; upserts need 3.24+.
const char* const kSqliteTriggers[] = {
    R"(CREATE TRIGGER certificates_counted_insert AFTER INSERT ON certificates BEGIN
         INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n)
           VALUES (NEW.tenant_id, NEW.ca, NEW.status, NEW.renewed_by IS NOT NULL, 1)
           ON CONFLICT (tenant_id, ca, status, replaced) DO UPDATE SET n = n + 1;
         INSERT INTO certificate_expiry_weeks (tenant_id, ca, week, n)
           SELECT NEW.tenant_id, NEW.ca, NEW.not_after / 604800000, 1 WHERE NEW.status = 'active' AND NEW.renewed_by IS NULL
           ON CONFLICT (tenant_id, ca, week) DO UPDATE SET n = n + 1;
       END)",
    R"(CREATE TRIGGER certificates_counted_update AFTER UPDATE OF status, renewed_by ON certificates
       WHEN OLD.status <> NEW.status OR (OLD.renewed_by IS NULL) <> (NEW.renewed_by IS NULL) BEGIN
         UPDATE certificate_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND ca = OLD.ca AND status = OLD.status
           AND replaced = (OLD.renewed_by IS NOT NULL);
         INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n)
           VALUES (NEW.tenant_id, NEW.ca, NEW.status, NEW.renewed_by IS NOT NULL, 1)
           ON CONFLICT (tenant_id, ca, status, replaced) DO UPDATE SET n = n + 1;
         UPDATE certificate_expiry_weeks SET n = n - 1 WHERE OLD.status = 'active' AND OLD.renewed_by IS NULL
           AND tenant_id = OLD.tenant_id AND ca = OLD.ca AND week = OLD.not_after / 604800000;
         INSERT INTO certificate_expiry_weeks (tenant_id, ca, week, n)
           SELECT NEW.tenant_id, NEW.ca, NEW.not_after / 604800000, 1 WHERE NEW.status = 'active' AND NEW.renewed_by IS NULL
           ON CONFLICT (tenant_id, ca, week) DO UPDATE SET n = n + 1;
       END)",
    R"(CREATE TRIGGER certificates_counted_delete AFTER DELETE ON certificates BEGIN
         UPDATE certificate_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND ca = OLD.ca AND status = OLD.status
           AND replaced = (OLD.renewed_by IS NOT NULL);
         UPDATE certificate_expiry_weeks SET n = n - 1 WHERE OLD.status = 'active' AND OLD.renewed_by IS NULL
           AND tenant_id = OLD.tenant_id AND ca = OLD.ca AND week = OLD.not_after / 604800000;
       END)",
};

// PostgreSQL: one PL/pgSQL function for the three events.
const char* const kPostgresTriggers[] = {
    R"(CREATE FUNCTION signet_count_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           UPDATE certificate_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND ca = OLD.ca AND status = OLD.status
             AND replaced = (OLD.renewed_by IS NOT NULL)::int;
           IF OLD.status = 'active' AND OLD.renewed_by IS NULL THEN
             UPDATE certificate_expiry_weeks SET n = n - 1
               WHERE tenant_id = OLD.tenant_id AND ca = OLD.ca AND week = OLD.not_after / 604800000;
           END IF;
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n)
             VALUES (NEW.tenant_id, NEW.ca, NEW.status, (NEW.renewed_by IS NOT NULL)::int, 1)
             ON CONFLICT (tenant_id, ca, status, replaced) DO UPDATE SET n = certificate_counts.n + 1;
           IF NEW.status = 'active' AND NEW.renewed_by IS NULL THEN
             INSERT INTO certificate_expiry_weeks (tenant_id, ca, week, n)
               VALUES (NEW.tenant_id, NEW.ca, NEW.not_after / 604800000, 1)
               ON CONFLICT (tenant_id, ca, week) DO UPDATE SET n = certificate_expiry_weeks.n + 1;
           END IF;
         END IF;
         RETURN NULL;
       END $$)",
    "CREATE TRIGGER certificates_counted_insert AFTER INSERT OR DELETE ON certificates "
    "FOR EACH ROW EXECUTE FUNCTION signet_count_certificate()",
    "CREATE TRIGGER certificates_counted_update AFTER UPDATE OF status, renewed_by ON certificates FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status OR (OLD.renewed_by IS NULL) <> (NEW.renewed_by IS NULL)) "
    "EXECUTE FUNCTION signet_count_certificate()",
};

// "(:p0, :p1, ...)" for the tenant ids.
std::string in_list(FilterQuery& q, const std::vector<std::string>& ids) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "(" : ", ") + q.bind(id);
  return list.empty() ? "(NULL)" : list + ")";
}

long long count_of(soci::session& s, FilterQuery& q, const std::string& where) {
  long long n = 0;
  q.run(s, "SELECT COUNT(*) FROM certificates c WHERE " + where, [&](const soci::row& r) { n = number_at(r, 0); });
  return n;
}

}  // namespace

void create_certificate_counters(soci::session& s) {
  if (s.get_backend_name() == "postgresql")
    for (const char* sql : kPostgresTriggers) s << sql;
  else
    for (const char* sql : kSqliteTriggers) s << sql;
  s << "INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n) "
       "SELECT tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM certificates "
       "GROUP BY tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END";
  s << "INSERT INTO certificate_expiry_weeks (tenant_id, ca, week, n) "
       "SELECT tenant_id, ca, not_after / 604800000, COUNT(*) FROM certificates "
       "WHERE status = 'active' AND renewed_by IS NULL GROUP BY tenant_id, ca, not_after / 604800000";
}

Result<std::vector<CertificateCount>> certificate_counts(Database& db, const std::vector<std::string>& tenant_ids) {
  return read(db, [&](soci::session& s) -> Result<std::vector<CertificateCount>> {
    // Rows that went back to 0 are kept: a metric must say 0, not keep its last value.
    FilterQuery q;
    q.also("tenant_id IN " + in_list(q, tenant_ids));
    std::vector<CertificateCount> out;
    q.run(s, "SELECT tenant_id, ca, status, replaced, n FROM certificate_counts WHERE " + q.where(), [&](const soci::row& r) {
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), number_at(r, 3) != 0, number_at(r, 4)});
    });
    return out;
  });
}

Result<std::vector<ExpiryWeek>> expiry_weeks(Database& db, const std::vector<std::string>& tenant_ids, TimePoint from,
                                             TimePoint until) {
  return read(db, [&](soci::session& s) -> Result<std::vector<ExpiryWeek>> {
    FilterQuery q("n <> 0");
    q.also("tenant_id IN " + in_list(q, tenant_ids));
    q.also("week >= " + q.bind(to_unix_ms(from) / kWeekMs));
    q.also("week < " + q.bind((to_unix_ms(until) + kWeekMs - 1) / kWeekMs));
    std::vector<ExpiryWeek> out;
    q.run(s, "SELECT tenant_id, ca, week, n FROM certificate_expiry_weeks WHERE " + q.where() + " ORDER BY week, tenant_id, ca",
          [&](const soci::row& r) {
            out.push_back({r.get<std::string>(0), r.get<std::string>(1), from_unix_ms(number_at(r, 2) * kWeekMs), number_at(r, 3)});
          });
    return out;
  });
}

Result<TimelyCounts> timely_counts(Database& db, const std::vector<std::string>& tenant_ids, TimePoint now, bool with_90d) {
  const long long at = to_unix_ms(now), day = 24LL * 3600 * 1000;
  return read(db, [&](soci::session& s) -> Result<TimelyCounts> {
    TimelyCounts t;
    // Per tenant, so each count is one range of certificates_tenant_active_expiry.
    for (const auto& tenant : tenant_ids) {
      auto count = [&](const std::string& clause, std::initializer_list<long long> values) {
        FilterQuery q;
        q.also("c.tenant_id = " + q.bind(tenant));
        std::string where = clause;
        for (long long v : values) where.replace(where.find('?'), 1, q.bind(v));
        q.also(where);
        return count_of(s, q, q.where());
      };
      const std::string active = "c.status = 'active' AND ";
      t.expiring_7d += count(active + "c.not_after > ? AND c.not_after <= ? AND c.renewed_by IS NULL", {at, at + 7 * day});
      t.expiring_30d += count(active + "c.not_after > ? AND c.not_after <= ? AND c.renewed_by IS NULL", {at, at + 30 * day});
      if (with_90d)
        t.expiring_90d += count(active + "c.not_after > ? AND c.not_after <= ? AND c.renewed_by IS NULL", {at, at + 90 * day});
      t.overdue += count(active + "c.not_after <= ? AND c.renewed_by IS NULL", {at});
      t.overdue_all += count(active + "c.not_after <= ?", {at});
      t.revoked_24h += count("c.revoked_at >= ?", {at - day});
      // certificates_tenant_renewal_failing holds only the certificates whose renewal failed.
      t.renewals_failing += count("c.status = 'active' AND c.renewal_attempts > ? AND c.renewed_by IS NULL", {0});
    }
    t.overdue_replaced = t.overdue_all - t.overdue;
    return t;
  });
}

}  // namespace signet::host
