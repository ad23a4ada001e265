// Appends to the audit log, chained by hash (db/audit_chain.hpp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "db/audit_chain.hpp"
#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct AuditRecord {
  std::string tenant_id;
  std::string principal;   // a token id, a certificate identity, "" when unauthenticated
  std::string auth;        // "token", "mtls", "approle", "" when unauthenticated
  std::string source;      // the caller's address
  std::string action;      // "certificate.issue"
  std::string object;      // "crt_..."
  std::string outcome;     // "success", "failure", "denied"
  std::string request_id;
  nlohmann::json detail = nlohmann::json::object();  // never secrets
};

struct AuditFilter {
  std::optional<TimePoint> since, until;  // by record time
  std::string action, principal, outcome, object, request_id;  // exact
  int limit = 100;
  long long after_seq = 0;  // the cursor: the last seq of the previous page
  bool newest_first = false;  // then the cursor is the seq to go below (0: from the newest)
};

struct AuditPage {
  std::vector<StoredAudit> items;  // oldest first, or newest first when asked
  std::optional<long long> next_after;  // set when there may be more
};

// One tenant's records matching the filter.
Result<AuditPage> list_audit(Database& db, const std::string& tenant_id, const AuditFilter& filter);

// Idempotent per (request_id, action): a pipeline step that runs again after
// a crash does not write a second record.
Result<void> append_audit(Database& db, const AuditRecord& record);
// The same inside the caller's write transaction.
void append_audit(soci::session& s, const AuditRecord& record);

}  // namespace signet::host
