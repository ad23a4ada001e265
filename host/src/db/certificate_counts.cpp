#include "db/certificate_counts.hpp"

#include <cstring>
#include <functional>

#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

// The expiry buckets triggers keep: weeks since migration 17, days since
// migration 21 (whole days answer "expiring within N days" exactly, with
// only the range's two ends read from the index). The weekly table is still
// kept so that hosts of the previous release, which read it, work on during
// a rolling upgrade (docs/upgrading.md); a later migration drops it.
struct ExpiryBucket {
  const char* table;   // certificate_expiry_weeks / certificate_expiry_days
  const char* column;  // week / day
  const char* ms;      // its length in milliseconds
};
constexpr ExpiryBucket kWeeks{"certificate_expiry_weeks", "week", "604800000"};
constexpr ExpiryBucket kDays{"certificate_expiry_days", "day", "86400000"};

std::string for_bucket(std::string sql, const ExpiryBucket& b) {
  for (const auto& [from, to] : {std::pair{"@TABLE", b.table}, {"@COLUMN", b.column}, {"@MS", b.ms}})
    for (auto at = sql.find(from); at != std::string::npos; at = sql.find(from, at)) sql.replace(at, std::strlen(from), to);
  return sql;
}

// What the triggers do, one statement each (SQLite bodies; PostgreSQL's
// function wraps them in IFs). `counts`: certificate_counts too.
struct TriggerSteps {
  std::string add_count, remove_count, add_expiry, remove_expiry;
};

TriggerSteps steps(bool counts, const ExpiryBucket& b, bool postgres) {
  TriggerSteps t;
  if (counts) {
    const std::string replaced = postgres ? "(NEW.renewed_by IS NOT NULL)::int" : "NEW.renewed_by IS NOT NULL";
    t.add_count = "INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n) VALUES (NEW.tenant_id, NEW.ca, "
                  "NEW.status, " + replaced + ", 1) ON CONFLICT (tenant_id, ca, status, replaced) DO UPDATE SET n = " +
                  (postgres ? "certificate_counts.n" : "n") + " + 1;";
    t.remove_count = std::string("UPDATE certificate_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND ca = OLD.ca "
                                 "AND status = OLD.status AND replaced = ") +
                     (postgres ? "(OLD.renewed_by IS NOT NULL)::int;" : "(OLD.renewed_by IS NOT NULL);");
  }
  t.add_expiry = for_bucket(std::string("INSERT INTO @TABLE (tenant_id, ca, @COLUMN, n) ") +
                                (postgres ? "VALUES (NEW.tenant_id, NEW.ca, NEW.not_after / @MS, 1)"
                                          : "SELECT NEW.tenant_id, NEW.ca, NEW.not_after / @MS, 1 WHERE NEW.status = "
                                            "'active' AND NEW.renewed_by IS NULL") +
                                " ON CONFLICT (tenant_id, ca, @COLUMN) DO UPDATE SET n = " + (postgres ? "@TABLE.n" : "n") + " + 1;",
                            b);
  t.remove_expiry = for_bucket(std::string("UPDATE @TABLE SET n = n - 1 WHERE ") +
                                   (postgres ? "" : "OLD.status = 'active' AND OLD.renewed_by IS NULL AND ") +
                                   "tenant_id = OLD.tenant_id AND ca = OLD.ca AND @COLUMN = OLD.not_after / @MS;",
                               b);
  return t;
}

constexpr const char* kChangesCount = "OLD.status <> NEW.status OR (OLD.renewed_by IS NULL) <> (NEW.renewed_by IS NULL)";

// Triggers `<name>_insert`, `_update`, `_delete` (PostgreSQL: the function
// `<function>()` and triggers `<name>_insert` for INSERT and DELETE and
// `<name>_update`). Each change of status or of renewed_by is counted in
// the transaction that makes it.
std::vector<std::string> counting_triggers(soci::session& s, const std::string& name, const std::string& function_name,
                                           bool counts, const ExpiryBucket& b) {
  const bool postgres = is_postgres(s);
  const TriggerSteps t = steps(counts, b, postgres);
  if (!postgres)
    return {"CREATE TRIGGER " + name + "_insert AFTER INSERT ON certificates BEGIN " + t.add_count + t.add_expiry + " END",
            "CREATE TRIGGER " + name + "_update AFTER UPDATE OF status, renewed_by ON certificates WHEN " + kChangesCount +
                " BEGIN " + t.remove_count + t.add_count + t.remove_expiry + t.add_expiry + " END",
            "CREATE TRIGGER " + name + "_delete AFTER DELETE ON certificates BEGIN " + t.remove_count + t.remove_expiry + " END"};
  const std::string function = function_name + "()";
  return {"CREATE FUNCTION " + function + " RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
              "IF TG_OP IN ('UPDATE', 'DELETE') THEN " + t.remove_count +
              " IF OLD.status = 'active' AND OLD.renewed_by IS NULL THEN " + t.remove_expiry + " END IF; END IF; "
              "IF TG_OP IN ('INSERT', 'UPDATE') THEN " + t.add_count +
              " IF NEW.status = 'active' AND NEW.renewed_by IS NULL THEN " + t.add_expiry + " END IF; END IF; "
              "RETURN NULL; END $$",
          "CREATE TRIGGER " + name + "_insert AFTER INSERT OR DELETE ON certificates FOR EACH ROW EXECUTE FUNCTION " + function,
          "CREATE TRIGGER " + name + "_update AFTER UPDATE OF status, renewed_by ON certificates FOR EACH ROW WHEN (" +
              "OLD.status IS DISTINCT FROM NEW.status OR (OLD.renewed_by IS NULL) <> (NEW.renewed_by IS NULL)) "
              "EXECUTE FUNCTION " + function};
}

void count_expiry(soci::session& s, const ExpiryBucket& b) {
  s << for_bucket("INSERT INTO @TABLE (tenant_id, ca, @COLUMN, n) SELECT tenant_id, ca, not_after / @MS, COUNT(*) "
                  "FROM certificates WHERE status = 'active' AND renewed_by IS NULL "
                  "GROUP BY tenant_id, ca, not_after / @MS", b);
}

}  // namespace

void create_certificate_counters(soci::session& s) {
  // The names and function migration 17 has always made.
  for (const auto& sql : counting_triggers(s, "certificates_counted", "signet_count_certificate", true, kWeeks)) s << sql;
  s << "INSERT INTO certificate_counts (tenant_id, ca, status, replaced, n) "
       "SELECT tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM certificates "
       "GROUP BY tenant_id, ca, status, CASE WHEN renewed_by IS NULL THEN 0 ELSE 1 END";
  count_expiry(s, kWeeks);
}

void count_expiry_by_day(soci::session& s) {
  for (const auto& sql : counting_triggers(s, "certificates_counted_by_day", "signet_count_expiry_by_day", false, kDays)) s << sql;
  count_expiry(s, kDays);
}

Result<std::vector<CertificateCount>> certificate_counts(Database& db, const std::vector<std::string>& tenant_ids) {
  return read(db, [&](soci::session& s) -> Result<std::vector<CertificateCount>> {
    // Rows that went back to 0 are kept: a metric must say 0, not keep its last value.
    FilterQuery q;
    q.also("tenant_id IN " + q.bind_list(tenant_ids));
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
    // Weeks are whole days from the epoch, seven at a time.
    FilterQuery q("n <> 0");
    q.also("tenant_id IN " + q.bind_list(tenant_ids));
    q.also("day >= " + q.bind(to_unix_ms(from) / kWeekMs * 7));
    q.also("day < " + q.bind((to_unix_ms(until) + kWeekMs - 1) / kWeekMs * 7));
    std::vector<ExpiryWeek> out;
    q.run(s, "SELECT tenant_id, ca, day / 7, SUM(n) FROM certificate_expiry_days WHERE " + q.where() +
                 " GROUP BY tenant_id, ca, day / 7 HAVING SUM(n) <> 0 ORDER BY 3, 1, 2",
          [&](const soci::row& r) {
            out.push_back({r.get<std::string>(0), r.get<std::string>(1), from_unix_ms(number_at(r, 2) * kWeekMs), number_at(r, 3)});
          });
    return out;
  });
}

namespace {

// All the overview's time-bound numbers as one SELECT of scalar subqueries,
// so a PostgreSQL host pays one round trip, not one per number and tenant.
// The tenants as a literal IN list in each number: both engines read it as
// one index range per tenant (PostgreSQL plans a WITH list or subquery as
// a join, and scanned the inventory: 3 s at a million certificates).
class TimelyQuery {
 public:
  explicit TimelyQuery(const std::vector<std::string>& tenant_ids) : tenant_ids_(tenant_ids) {}

  // Certificates of the tenants where `where` holds.
  std::string count(const std::string& where) {
    return "(SELECT COUNT(*) FROM certificates c WHERE c.tenant_id IN " + q_.bind_list(tenant_ids_) + " AND " + where + ")";
  }
  // Active, unreplaced certificates with not_after in [lo, hi): the whole
  // days inside from certificate_expiry_days, the two partial days at the
  // ends from certificates_tenant_active_expiry. However long the window,
  // at most one day's certificates are counted one by one.
  std::string expiring_between(long long lo, long long hi) {
    const long long first_day = (lo + kDayMs - 1) / kDayMs, end_day = hi / kDayMs;  // whole days: [first_day, end_day)
    if (lo < 0 || first_day >= end_day) return from_index(lo, hi);
    return "(SELECT COALESCE(SUM(n), 0) FROM certificate_expiry_days WHERE tenant_id IN " + q_.bind_list(tenant_ids_) +
           " AND day >= " + q_.bind(first_day) + " AND day < " + q_.bind(end_day) + ") + " + from_index(lo, first_day * kDayMs) +
           " + " + from_index(end_day * kDayMs, hi);
  }
  std::string bind(long long v) { return q_.bind(v); }
  void run(soci::session& s, const std::vector<std::string>& columns, const std::function<void(const soci::row&)>& each) {
    std::string select;
    for (const auto& c : columns) select += (select.empty() ? "SELECT " : ", ") + c;
    q_.run(s, select, each);
  }

 private:
  std::string from_index(long long from, long long to) {
    if (from >= to) return "0";
    return count("c.status = 'active' AND c.renewed_by IS NULL AND c.not_after >= " + q_.bind(from) +
                 " AND c.not_after < " + q_.bind(to));
  }

  const std::vector<std::string>& tenant_ids_;
  FilterQuery q_;
};

// Tenants at a time, so that the placeholders (a list in each of a dozen
// numbers) stay far below the engines' limits however many tenants there are.
constexpr std::size_t kTenantsAtATime = 200;

// One chunk of tenants, added to `t`.
void add_timely_counts(soci::session& s, const std::vector<std::string>& tenant_ids, long long at, bool with_90d,
                       TimelyCounts& t) {
  TimelyQuery q(tenant_ids);
  // not_after in (now, now + d]
  auto expiring_within = [&](long long days) { return q.expiring_between(at + 1, at + days * kDayMs + 1); };
  const std::string active = "c.status = 'active' AND ";
  std::vector<std::string> columns = {
      expiring_within(7),
      expiring_within(30),
      with_90d ? expiring_within(90) : "0",
      q.count(active + "c.not_after <= " + q.bind(at) + " AND c.renewed_by IS NULL"),
      q.count(active + "c.not_after <= " + q.bind(at)),
      q.count("c.revoked_at >= " + q.bind(at - kDayMs)),
      // certificates_tenant_renewal_failing holds only the certificates whose renewal failed.
      q.count("c.status = 'active' AND c.renewal_attempts > " + q.bind(0) + " AND c.renewed_by IS NULL"),
  };
  q.run(s, columns, [&](const soci::row& r) {
    t.expiring_7d += number_at(r, 0);
    t.expiring_30d += number_at(r, 1);
    t.expiring_90d += number_at(r, 2);
    t.overdue += number_at(r, 3);
    t.overdue_all += number_at(r, 4);
    t.revoked_24h += number_at(r, 5);
    t.renewals_failing += number_at(r, 6);
  });
}

}  // namespace

Result<TimelyCounts> timely_counts(Database& db, const std::vector<std::string>& tenant_ids, TimePoint now, bool with_90d) {
  const long long at = to_unix_ms(now);
  return read(db, [&](soci::session& s) -> Result<TimelyCounts> {
    TimelyCounts t;
    for (std::size_t from = 0; from < tenant_ids.size(); from += kTenantsAtATime) {
      const auto first = tenant_ids.begin() + static_cast<std::ptrdiff_t>(from);
      add_timely_counts(s, {first, first + static_cast<std::ptrdiff_t>(std::min(kTenantsAtATime, tenant_ids.size() - from))},
                        at, with_90d, t);
    }
    t.overdue_replaced = t.overdue_all - t.overdue;
    return t;
  });
}

}  // namespace signet::host
