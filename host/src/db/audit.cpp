#include "db/audit.hpp"

#include <algorithm>

#include "db/filter_query.hpp"
#include "db/prepared.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace {

constexpr long long kAuditChainLock = 0x5369676e65744175;  // "SignetAu": Signet's key for pg_advisory_xact_lock

}  // namespace

Result<void> append_audit(Database& db, const AuditRecord& r) {
  return db.write([&](soci::session& s) { append_audit(s, r); });
}

Result<AuditPage> list_audit(Database& db, const std::string& tenant_id, const AuditFilter& f) {
  FilterQuery q;
  q.also("tenant_id = " + q.bind(tenant_id));
  q.also("seq > " + q.bind(f.after_seq));
  if (f.since) q.also("time >= " + q.bind(static_cast<long long>(to_unix_ms(*f.since))));
  if (f.until) q.also("time < " + q.bind(static_cast<long long>(to_unix_ms(*f.until))));
  for (auto [column, value] : {std::pair{"action", &f.action}, {"principal", &f.principal}, {"outcome", &f.outcome},
                               {"object", &f.object}, {"request_id", &f.request_id}})
    if (!value->empty()) q.also(std::string(column) + " = " + q.bind(*value));
  const int limit = std::clamp(f.limit, 1, 1000);
  try {
    Connection connection(db);
    soci::session& s = *connection;
    AuditPage page;
    q.run(s, std::string(kAuditColumns) + " FROM audit_log WHERE " + q.where() + " ORDER BY seq LIMIT " +
                 std::to_string(limit + 1),
          [&](const soci::row& row) { page.items.push_back(stored_audit_of(row)); });
    if (page.items.size() > static_cast<std::size_t>(limit)) {
      page.items.pop_back();
      page.next_after = page.items.back().seq;
    }
    return page;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

void append_audit(soci::session& s, const AuditRecord& r) {
  if (!r.request_id.empty() &&
      query_number(s, "SELECT COUNT(*) FROM audit_log WHERE request_id = :rid AND action = :action",
                   {r.request_id, r.action}).value_or(0) > 0)
    return;  // a rerun of the same step: recorded once
  // One chain, one writer at a time: SQLite's BEGIN IMMEDIATE makes every
  // write transaction the only one; on PostgreSQL, where hosts sharing the
  // database write at once, a transaction-scoped advisory lock does it for
  // the chain, from a transaction's first record to its commit. So the tail
  // read here is still the tail when the row goes in.
  if (s.get_backend_name() == "postgresql") s << "SELECT pg_advisory_xact_lock(" << kAuditChainLock << ")";
  const auto tail = query_number(s, "SELECT MAX(seq) FROM audit_log", {});
  StoredAudit stored{tail.value_or(0) + 1, r.tenant_id, to_unix_ms(Clock::now()), r.principal, r.auth, r.source,
                     r.action, r.object, r.outcome, r.request_id, r.detail.dump(), std::string(kAuditGenesis), ""};
  if (tail) stored.prev_hash = query_text(s, "SELECT hash FROM audit_log WHERE seq = :seq", {*tail}).value_or("");
  stored.hash = audit_record_hash(stored);
  execute(s,
          "INSERT INTO audit_log (seq, tenant_id, time, principal, auth, source, action, object, outcome, request_id, "
          "detail, prev_hash, hash) VALUES (:seq, :tenant, :time, :principal, :auth, :source, :action, :object, "
          ":outcome, :rid, :detail, :prev, :hash)",
          {stored.seq, stored.tenant_id, stored.time, stored.principal, SqlParam::text_or_null(stored.auth),
           SqlParam::text_or_null(stored.source), stored.action, stored.object, stored.outcome, stored.request_id,
           stored.detail, stored.prev_hash, stored.hash});
}

}  // namespace signet::host
