#include "db/audit.hpp"

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
  const long long seq = query_number(s, "SELECT MAX(seq) FROM audit_log", {}).value_or(0) + 1;
  const long long now = to_unix_ms(Clock::now());
  const std::string detail = r.detail.dump();
  execute(s,
          "INSERT INTO audit_log (seq, tenant_id, time, principal, action, object, outcome, request_id, detail) "
          "VALUES (:seq, :tenant, :time, :principal, :action, :object, :outcome, :rid, :detail)",
          {seq, r.tenant_id, now, r.principal, r.action, r.object, r.outcome, r.request_id, detail});
}

}  // namespace signet::host
