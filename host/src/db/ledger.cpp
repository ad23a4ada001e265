#include "db/ledger.hpp"

#include "db/prepared.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"

namespace signet::host {

Result<void> DatabaseLedger::record(const PrecertificateRecord& r) {
  bool duplicate = false;
  const std::string tbs = base64url(r.tbs_der);  // outside the (shared) transaction
  const long long now = to_unix_ms(Clock::now());
  auto written = db_.write([&](soci::session& s) {
    // The primary key (ca, serial) decides, inside the write transaction,
    // so two signers cannot both pass.
    duplicate = execute(s,
                        "INSERT INTO issuance_ledger (ca, serial, tenant_id, request_id, tbs, created_at) VALUES "
                        "(:ca, :serial, :tenant, :rid, :tbs, :now) ON CONFLICT DO NOTHING",
                        {r.ca, r.serial_hex, r.tenant, r.request_id, tbs, now}) == 0;
  });
  if (!written) return written;
  if (duplicate) return make_error(ErrorCode::conflict, "serial " + r.serial_hex + " was already used by CA " + r.ca);
  return {};
}

}  // namespace signet::host
