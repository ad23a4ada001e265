#include "db/audit.hpp"

#include "util/time.hpp"

namespace signet::host {

Result<void> append_audit(Database& db, const AuditRecord& r) {
  return db.write([&](soci::session& s) { append_audit(s, r); });
}

void append_audit(soci::session& s, const AuditRecord& r) {
  {
    if (!r.request_id.empty()) {
      int existing = 0;
      s << "SELECT COUNT(*) FROM audit_log WHERE request_id = :rid AND action = :action", soci::use(r.request_id),
          soci::use(r.action), soci::into(existing);
      if (existing > 0) return;
    }
    long long seq = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT MAX(seq) FROM audit_log", soci::into(seq, ind);
    seq = (ind == soci::i_ok ? seq : 0) + 1;
    const long long now = to_unix_ms(Clock::now());
    const std::string detail = r.detail.dump();
    s << "INSERT INTO audit_log (seq, tenant_id, time, principal, action, object, outcome, request_id, detail) "
         "VALUES (:seq, :tenant, :time, :principal, :action, :object, :outcome, :rid, :detail)",
        soci::use(seq), soci::use(r.tenant_id), soci::use(now), soci::use(r.principal), soci::use(r.action),
        soci::use(r.object), soci::use(r.outcome), soci::use(r.request_id), soci::use(detail);
  }
}

}  // namespace signet::host
