// The audit log as a hash chain. Each record's hash covers its canonical
// form and the previous record's hash, so a record that is modified,
// deleted or moved breaks the chain from there on (`signet audit verify`).
// A chain cannot show that its tail was cut off or that it was rewritten
// whole: the head hash kept elsewhere (the JSON-lines export, a log
// shipper) catches those.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "db/database.hpp"

namespace signet::host {

// The prev_hash of the first record.
inline constexpr std::string_view kAuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

// One row of audit_log as stored.
struct StoredAudit {
  long long seq = 0;
  std::string tenant_id;
  long long time = 0;  // ms since the epoch
  std::string principal, auth, source, action, object, outcome, request_id;
  std::string detail;  // JSON text, hashed as stored
  std::string prev_hash, hash;
};

// "SELECT <every column>" and the reader of such a row.
inline constexpr const char* kAuditColumns =
    "SELECT seq, tenant_id, time, principal, auth, source, action, object, outcome, request_id, detail, prev_hash, hash";
StoredAudit stored_audit_of(const soci::row& row);

// A record as the API and the JSON-lines export show it.
nlohmann::json audit_json(const StoredAudit& record);

// The records after `after_seq`, every tenant's, oldest first.
Result<std::vector<StoredAudit>> audit_records_after(Database& db, long long after_seq, int limit);

// SHA-256 (hex) of the record's canonical form: every column but `hash`,
// as a JSON object with sorted keys.
std::string audit_record_hash(const StoredAudit& record);

struct ChainReport {
  long long records = 0;
  long long head_seq = 0;
  std::string head_hash;
  std::optional<long long> broken_seq;  // the first record that does not verify
  std::string problem;                  // what is wrong with it
};

// Walks the whole log in seq order and recomputes every hash.
Result<ChainReport> verify_audit_chain(Database& db);

// Migration 7: chains the records written before the chain existed, in
// seq order, inside the migration's transaction.
void chain_existing_audit(soci::session& s);

}  // namespace signet::host
