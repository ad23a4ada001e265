#include "db/audit.hpp"

#include "db/audit_chain.hpp"
#include "db/prepared.hpp"
#include "util/time.hpp"

namespace signet::host {

Result<void> append_audit(Database& db, const AuditRecord& r) {
  return db.write([&](soci::session& s) { append_audit(s, r); });
}

void append_audit(soci::session& s, const AuditRecord& r) {
  if (!r.request_id.empty() &&
      query_number(s, "SELECT COUNT(*) FROM audit_log WHERE request_id = :rid AND action = :action",
                   {r.request_id, r.action}).value_or(0) > 0)
    return;  // a rerun of the same step: recorded once
  // The writer is one connection at a time (BEGIN IMMEDIATE), so the tail
  // read here is still the tail when the row goes in.
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
