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
  if (!f.newest_first) q.also("seq > " + q.bind(f.after_seq));
  else if (f.after_seq > 0) q.also("seq < " + q.bind(f.after_seq));
  if (f.since) q.also("time >= " + q.bind(static_cast<long long>(to_unix_ms(*f.since))));
  if (f.until) q.also("time < " + q.bind(static_cast<long long>(to_unix_ms(*f.until))));
  for (auto [column, value] : {std::pair{"action", &f.action}, {"principal", &f.principal}, {"outcome", &f.outcome},
                               {"object", &f.object}, {"request_id", &f.request_id}})
    if (!value->empty()) q.also(std::string(column) + " = " + q.bind(*value));
  const int limit = std::clamp(f.limit, 1, 1000);
  return read(db, [&](soci::session& s) -> Result<AuditPage> {
    AuditPage page;
    q.run(s, std::string(kAuditColumns) + " FROM audit_log WHERE " + q.where() + " ORDER BY seq" +
                 (f.newest_first ? " DESC" : "") + " LIMIT " +
                 std::to_string(limit + 1),
          [&](const soci::row& row) { page.items.push_back(stored_audit_of(row)); });
    if (page.items.size() > static_cast<std::size_t>(limit)) {
      page.items.pop_back();
      page.next_after = page.items.back().seq;
    }
    return page;
  });
}

namespace {

// What append_audit needs to know before it writes, in one round trip (the
// statement helpers bind one column, hence one text value):
// "<records of this request and action>:<tail seq>:<tail hash>", the tail
// part empty when the log is.
struct AuditTail {
  bool already_recorded = false;
  std::optional<long long> seq;
  std::string hash;
};

AuditTail read_audit_tail(soci::session& s, const AuditRecord& r) {
  const std::string packed =
      query_text(s,
                 "SELECT (SELECT COUNT(*) FROM audit_log "
                 "WHERE request_id = :rid AND action = :action AND :given <> '') || ':' || "
                 "COALESCE((SELECT seq || ':' || COALESCE(hash, '') FROM audit_log ORDER BY seq DESC LIMIT 1), '')",
                 {r.request_id, r.action, r.request_id})
          .value_or("0:");
  AuditTail tail;
  const auto first = packed.find(':');
  tail.already_recorded = packed.substr(0, first) != "0";
  const auto second = packed.find(':', first + 1);
  if (second != std::string::npos) {
    tail.seq = std::stoll(packed.substr(first + 1, second - first - 1));
    tail.hash = packed.substr(second + 1);
  }
  return tail;
}

}  // namespace

void append_audit(soci::session& s, const AuditRecord& r) {
  // One chain, one writer at a time: SQLite's BEGIN IMMEDIATE makes every
  // write transaction the only one; on PostgreSQL, where hosts sharing the
  // database write at once, a transaction-scoped advisory lock does it for
  // the chain, from a transaction's first record to its commit. So the tail
  // read after it is still the tail when the row goes in (READ COMMITTED
  // takes a new snapshot per statement, so the read must be a statement of
  // its own, after the lock's).
  if (s.get_backend_name() == "postgresql") s << "SELECT pg_advisory_xact_lock(" << kAuditChainLock << ")";
  const AuditTail tail = read_audit_tail(s, r);
  if (tail.already_recorded) return;  // a rerun of the same step: recorded once
  StoredAudit stored{tail.seq.value_or(0) + 1, r.tenant_id, to_unix_ms(Clock::now()), r.principal, r.auth, r.source,
                     r.action, r.object, r.outcome, r.request_id, r.detail.dump(), std::string(kAuditGenesis), ""};
  if (tail.seq) stored.prev_hash = tail.hash;
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
