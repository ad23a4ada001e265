// Numbered schema migrations. Portable SQL: the same statements run on
// SQLite and PostgreSQL. Never edit a released migration; add a new one.
// Times are BIGINT milliseconds since the Unix epoch; every table holding
// tenant data has tenant_id.
#include <map>
#include <optional>
#include <vector>

#include "db/audit_chain.hpp"
#include "db/certificate_counts.hpp"
#include "db/certificates.hpp"
#include "db/database.hpp"
#include "db/name_search.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace {

struct Migration {
  int version;
  const char* name;
  std::vector<const char*> statements;
};

const std::vector<Migration> kMigrations = {
    {1, "foundation",
     {
         R"(CREATE TABLE tenants (
              id VARCHAR(40) PRIMARY KEY,
              slug VARCHAR(64) NOT NULL UNIQUE,
              name VARCHAR(200) NOT NULL,
              created_at BIGINT NOT NULL))",
         R"(CREATE TABLE tokens (
              id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL REFERENCES tenants(id),
              token_hash VARCHAR(64) NOT NULL UNIQUE,
              roles TEXT NOT NULL,
              service VARCHAR(200),
              description TEXT,
              created_at BIGINT NOT NULL,
              expires_at BIGINT,
              revoked_at BIGINT))",
         R"(CREATE TABLE requests (
              id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL REFERENCES tenants(id),
              operation VARCHAR(16) NOT NULL,
              status VARCHAR(16) NOT NULL,
              step VARCHAR(64) NOT NULL,
              step_index INTEGER NOT NULL,
              attempts INTEGER NOT NULL,
              next_attempt_at BIGINT NOT NULL,
              lease_owner VARCHAR(64),
              lease_until BIGINT,
              ticket TEXT,
              principal VARCHAR(200) NOT NULL,
              input TEXT NOT NULL,
              state TEXT NOT NULL,
              error_code VARCHAR(64),
              error_message TEXT,
              certificate_id VARCHAR(40),
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX requests_due ON requests (status, next_attempt_at)",
         "CREATE INDEX requests_tenant ON requests (tenant_id, created_at)",
         R"(CREATE TABLE certificates (
              id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL REFERENCES tenants(id),
              request_id VARCHAR(40) NOT NULL UNIQUE,
              ca VARCHAR(64) NOT NULL,
              serial VARCHAR(64) NOT NULL,
              common_name TEXT,
              sans TEXT NOT NULL,
              profile VARCHAR(64) NOT NULL,
              status VARCHAR(16) NOT NULL,
              not_before BIGINT NOT NULL,
              not_after BIGINT NOT NULL,
              certificate_pem TEXT NOT NULL,
              chain_pem TEXT NOT NULL,
              metadata TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              revoked_at BIGINT,
              revocation_reason VARCHAR(32),
              renews VARCHAR(40),
              renewed_by VARCHAR(40),
              UNIQUE (ca, serial)))",
         "CREATE INDEX certificates_tenant_expiry ON certificates (tenant_id, not_after)",
         R"(CREATE TABLE audit_log (
              seq BIGINT PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL,
              time BIGINT NOT NULL,
              principal VARCHAR(200) NOT NULL,
              action VARCHAR(64) NOT NULL,
              object VARCHAR(200),
              outcome VARCHAR(16) NOT NULL,
              request_id VARCHAR(40),
              detail TEXT NOT NULL))",
         "CREATE INDEX audit_tenant_time ON audit_log (tenant_id, time)",
     }},
    {2, "issuance ledger and certificate search",
     {
         // What each CA was about to sign, written before it signed it.
         R"(CREATE TABLE issuance_ledger (
              ca VARCHAR(64) NOT NULL,
              serial VARCHAR(64) NOT NULL,
              tenant_id VARCHAR(40) NOT NULL,
              request_id VARCHAR(40) NOT NULL,
              tbs TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              PRIMARY KEY (ca, serial)))",
         "ALTER TABLE certificates ADD COLUMN key_sha256 VARCHAR(64)",
         "CREATE INDEX certificates_tenant_created ON certificates (tenant_id, created_at, id)",
         "CREATE INDEX certificates_tenant_status ON certificates (tenant_id, status, created_at, id)",
         "CREATE INDEX certificates_tenant_cn ON certificates (tenant_id, common_name)",
         "CREATE INDEX certificates_tenant_key ON certificates (tenant_id, key_sha256)",
         // Every name a certificate carries (CN and SANs, lower-cased), for exact lookups.
         R"(CREATE TABLE certificate_names (
              tenant_id VARCHAR(40) NOT NULL,
              name VARCHAR(300) NOT NULL,
              certificate_id VARCHAR(40) NOT NULL,
              PRIMARY KEY (tenant_id, name, certificate_id)))",
     }},
    {3, "keys held by the host",
     {
         // The store instance and path of a private key the host made.
         "ALTER TABLE certificates ADD COLUMN key_store VARCHAR(64)",
         "ALTER TABLE certificates ADD COLUMN key_path VARCHAR(512)",
     }},
    {4, "audit lookups by request",
     {
         // The audit step's idempotence check runs on every request.
         "CREATE INDEX audit_request ON audit_log (request_id, action)",
     }},
    {5, "certificates belong to services",
     {
         "ALTER TABLE certificates ADD COLUMN service VARCHAR(200)",
         // Partial: certificates without an owning service cost no index entry.
         "CREATE INDEX certificates_tenant_service ON certificates (tenant_id, service, created_at, id) "
         "WHERE service IS NOT NULL",
     }},
    {6, "tokens bound to source networks",
     {
         "ALTER TABLE tokens ADD COLUMN allowed_networks TEXT",  // comma-separated canonical CIDRs
         "CREATE INDEX tokens_tenant ON tokens (tenant_id, id)",
     }},
    {7, "audit hash chain",
     {
         "ALTER TABLE audit_log ADD COLUMN auth VARCHAR(16)",
         "ALTER TABLE audit_log ADD COLUMN source VARCHAR(64)",
         "ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR(64)",
         "ALTER TABLE audit_log ADD COLUMN hash VARCHAR(64)",
         "CREATE INDEX audit_tenant_seq ON audit_log (tenant_id, seq)",
     }},
    {8, "role login (AppRole)",
     {
         R"(CREATE TABLE approles (
              id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL REFERENCES tenants(id),
              name VARCHAR(100) NOT NULL,
              roles TEXT NOT NULL,
              service VARCHAR(200),
              token_ttl_ms BIGINT NOT NULL,
              secret_id_ttl_ms BIGINT NOT NULL,
              secret_id_uses INTEGER NOT NULL,
              created_at BIGINT NOT NULL,
              deleted_at BIGINT,
              UNIQUE (tenant_id, name)))",
         R"(CREATE TABLE approle_secrets (
              id VARCHAR(40) PRIMARY KEY,
              approle_id VARCHAR(40) NOT NULL REFERENCES approles(id),
              secret_hash VARCHAR(64) NOT NULL UNIQUE,
              expires_at BIGINT NOT NULL,
              uses_left INTEGER,
              created_at BIGINT NOT NULL))",
     }},
    {9, "revocation lists",
     {
         // The CRL a certificate names (0: /pki/<ca>/crl; k > 0: shard k).
         "ALTER TABLE certificates ADD COLUMN crl_shard INTEGER NOT NULL DEFAULT 0",
         // Every revocation once, numbered: CRLs and OCSP are made from it,
         // and `seq` tells every host what is new.
         R"(CREATE TABLE revocations (
              seq BIGINT PRIMARY KEY,
              ca VARCHAR(64) NOT NULL,
              serial VARCHAR(64) NOT NULL,
              certificate_id VARCHAR(40) NOT NULL,
              revoked_at BIGINT NOT NULL,
              reason INTEGER NOT NULL,
              invalidity_date BIGINT,
              not_after BIGINT NOT NULL,
              crl_shard INTEGER NOT NULL,
              UNIQUE (ca, serial)))",
         "CREATE INDEX revocations_scope ON revocations (ca, crl_shard, seq)",
         // The CRL last published per CA, shard and kind (0 full, 1 delta), base64url DER.
         R"(CREATE TABLE crls (
              ca VARCHAR(64) NOT NULL,
              shard INTEGER NOT NULL,
              delta INTEGER NOT NULL,
              number BIGINT NOT NULL,
              this_update BIGINT NOT NULL,
              next_update BIGINT NOT NULL,
              last_seq BIGINT NOT NULL,
              der TEXT NOT NULL,
              PRIMARY KEY (ca, shard, delta)))",
         // cRLNumber is one increasing sequence per CA (RFC 5280 §5.2.3, §5.2.4).
         "CREATE TABLE crl_numbers (ca VARCHAR(64) PRIMARY KEY, last_number BIGINT NOT NULL)",
         // Revocations recorded before this migration.
         R"(INSERT INTO revocations (seq, ca, serial, certificate_id, revoked_at, reason, invalidity_date, not_after, crl_shard)
            SELECT ROW_NUMBER() OVER (ORDER BY revoked_at, id), ca, serial, id, revoked_at,
                   CASE revocation_reason WHEN 'key_compromise' THEN 1 WHEN 'ca_compromise' THEN 2
                     WHEN 'affiliation_changed' THEN 3 WHEN 'superseded' THEN 4 WHEN 'cessation_of_operation' THEN 5
                     WHEN 'certificate_hold' THEN 6 WHEN 'privilege_withdrawn' THEN 9 WHEN 'aa_compromise' THEN 10
                     ELSE 0 END,
                   NULL, not_after, 0
            FROM certificates WHERE status = 'revoked')",
     }},
    {10, "ocsp signers",
     {
         // The delegated OCSP responder of each CA (RFC 6960 §4.2.2.2): its
         // key stays in a keys instance, only the key's id is kept here.
         R"(CREATE TABLE ocsp_signers (
              ca VARCHAR(64) PRIMARY KEY,
              keys_instance VARCHAR(64) NOT NULL,
              key_id TEXT NOT NULL,
              certificate_pem TEXT NOT NULL,
              not_after BIGINT NOT NULL,
              created_at BIGINT NOT NULL))",
     }},
    {11, "lifecycle automation",
     {
         // Renewal (docs/lifecycle.md): whether the scheduler renews it, how
         // many renewals led to it, and the renewal under way or failing.
         "ALTER TABLE certificates ADD COLUMN auto_renew INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE certificates ADD COLUMN renewal_count INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE certificates ADD COLUMN renewal_request_id VARCHAR(40)",  // claimed by this renewal
         "ALTER TABLE certificates ADD COLUMN renewal_attempts INTEGER NOT NULL DEFAULT 0",  // failed ones in a row
         "ALTER TABLE certificates ADD COLUMN last_renewal_attempt_at BIGINT",
         "ALTER TABLE certificates ADD COLUMN next_renewal_attempt_at BIGINT",  // back-off after a failure
         "ALTER TABLE certificates ADD COLUMN renewal_error TEXT",
         // Time-bound certificates: revoked (cessation of operation) at this time.
         "ALTER TABLE certificates ADD COLUMN not_after_use BIGINT",
         // The nearest expiry warning raised so far (ms before not_after).
         "ALTER TABLE certificates ADD COLUMN expiry_warned_before BIGINT",
         // Last change of status or replacement: GET /v1/certificates/updates.
         "ALTER TABLE certificates ADD COLUMN updated_at BIGINT",
         "UPDATE certificates SET updated_at = COALESCE(revoked_at, created_at)",
         "CREATE INDEX certificates_status_expiry ON certificates (status, not_after)",
         "CREATE INDEX certificates_end_of_use ON certificates (status, not_after_use) WHERE not_after_use IS NOT NULL",
         "CREATE INDEX certificates_tenant_updated ON certificates (tenant_id, updated_at, id)",
         "CREATE INDEX certificates_renewal_retry ON certificates (next_renewal_attempt_at) "
         "WHERE next_renewal_attempt_at IS NOT NULL",
         "CREATE INDEX certificates_renewing ON certificates (renewal_request_id) WHERE renewal_request_id IS NOT NULL",
         // The outbox: an event is written in the transaction of the change
         // that caused it, with one notification per notifier to deliver it.
         R"(CREATE TABLE events (
              id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL,
              type VARCHAR(32) NOT NULL,
              certificate_id VARCHAR(40),
              request_id VARCHAR(40),
              time BIGINT NOT NULL,
              data TEXT NOT NULL))",
         // status: pending (to deliver), delivered, failed (given up or
         // refused), not_sent (no receiver, superseded, replaced); notifier
         // is '' when no notifier was configured to hear the event.
         R"(CREATE TABLE notifications (
              id VARCHAR(40) PRIMARY KEY,
              event_id VARCHAR(40) NOT NULL,
              tenant_id VARCHAR(40) NOT NULL,
              notifier VARCHAR(64) NOT NULL,
              status VARCHAR(16) NOT NULL,
              reason TEXT,
              attempts INTEGER NOT NULL,
              next_attempt_at BIGINT NOT NULL,
              last_attempt_at BIGINT,
              lease_owner VARCHAR(64),
              lease_until BIGINT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL,
              UNIQUE (event_id, notifier)))",
         "CREATE INDEX notifications_due ON notifications (status, next_attempt_at)",
         "CREATE INDEX notifications_tenant ON notifications (tenant_id, created_at, id)",
         // One holder at a time per job (the scheduler), across hosts.
         R"(CREATE TABLE leader_leases (
              name VARCHAR(64) PRIMARY KEY,
              owner VARCHAR(64) NOT NULL,
              until BIGINT NOT NULL))",
         // The last run of each scheduled job, so a restart neither skips nor repeats one.
         R"(CREATE TABLE job_runs (
              name VARCHAR(64) PRIMARY KEY,
              last_run_at BIGINT NOT NULL))",
         // Secrets API paths (the values live in a store instance) and their rotation policy.
         R"(CREATE TABLE secrets (
              tenant_id VARCHAR(40) NOT NULL,
              path VARCHAR(512) NOT NULL,
              store VARCHAR(64) NOT NULL,
              current_version BIGINT NOT NULL,
              rotation_interval_ms BIGINT,
              rotate_at BIGINT,
              rotation_event_at BIGINT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL,
              PRIMARY KEY (tenant_id, path)))",
         "CREATE INDEX secrets_rotation ON secrets (rotate_at) WHERE rotate_at IS NOT NULL",
     }},
    {12, "secret changes announced before the store sees them",
     {
         // A secrets API change between its announcement and its audit record
         // (host/src/secrets/secret_changes.hpp); the row is gone once settled.
         R"(CREATE TABLE secret_changes (
              request_id VARCHAR(40) PRIMARY KEY,
              tenant_id VARCHAR(40) NOT NULL,
              path VARCHAR(512) NOT NULL,
              store VARCHAR(64) NOT NULL,
              action VARCHAR(16) NOT NULL,
              principal VARCHAR(200) NOT NULL,
              auth VARCHAR(16) NOT NULL,
              source VARCHAR(64) NOT NULL,
              detail TEXT NOT NULL,
              created_at BIGINT NOT NULL))",
         "CREATE INDEX secret_changes_age ON secret_changes (created_at)",
     }},
    {13, "the first answer to each Idempotency-Key",
     {
         // api/idempotency.cpp: a POST retried with the same key gets this answer.
         R"(CREATE TABLE idempotency_keys (
              principal VARCHAR(200) NOT NULL,
              idem_key VARCHAR(255) NOT NULL,
              fingerprint VARCHAR(64) NOT NULL,
              status BIGINT NOT NULL,
              content_type VARCHAR(100) NOT NULL,
              body TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              PRIMARY KEY (principal, idem_key)))",
         "CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at)",
     }},
    {14, "requests from other systems, and approvals",
     {
         // pipeline/external_requests.cpp: one request per record of another
         // system (a ServiceNow RITM), whichever host or retry comes first.
         R"(CREATE TABLE external_refs (
              tenant_id VARCHAR(40) NOT NULL,
              ref_system VARCHAR(40) NOT NULL,
              ref_id VARCHAR(200) NOT NULL,
              ref_number VARCHAR(100) NOT NULL,
              request_id VARCHAR(40) NOT NULL,
              created_at BIGINT NOT NULL,
              PRIMARY KEY (tenant_id, ref_system, ref_id)))",
         "CREATE INDEX external_refs_request ON external_refs (request_id)",
         // pipeline/approvals.cpp: each approver's decision on a request.
         R"(CREATE TABLE request_approvals (
              request_id VARCHAR(40) NOT NULL,
              principal VARCHAR(200) NOT NULL,
              decision VARCHAR(16) NOT NULL,
              comment TEXT NOT NULL,
              decided_at BIGINT NOT NULL,
              PRIMARY KEY (request_id, principal)))",
         // GET /v1/requests?status=pending_approval: what waits for approvers, newest first.
         "CREATE INDEX requests_tenant_status ON requests (tenant_id, status, created_at)",
     }},
    {15, "renewal lineage",
     {
         // The first certificate of each renewal chain: what stays the same
         // across renewals, so a store can deliver a renewal at the same
         // place (store-vault's KV path). NULL for rows from before: their own id.
         "ALTER TABLE certificates ADD COLUMN lineage VARCHAR(40)",
     }},
    {16, "key type and size in the inventory",
     {
         // rsa, ecdsa, ed25519, ed448 and the modulus or field size: the
         // dashboard's key column and filters ("rsa 2048"). Filled in for the
         // rows from before by backfill_key_kinds.
         "ALTER TABLE certificates ADD COLUMN key_type VARCHAR(16)",
         "ALTER TABLE certificates ADD COLUMN key_bits INTEGER",
     }},
    {17, "certificate counts for the dashboard",
     {
         // Kept by triggers (db/certificate_counts.cpp): the overview's
         // totals and the expiry timeline without scanning certificates.
         R"(CREATE TABLE certificate_counts (
              tenant_id VARCHAR(40) NOT NULL,
              ca VARCHAR(64) NOT NULL,
              status VARCHAR(16) NOT NULL,
              replaced INTEGER NOT NULL,
              n BIGINT NOT NULL,
              PRIMARY KEY (tenant_id, ca, status, replaced)))",
         R"(CREATE TABLE certificate_expiry_weeks (
              tenant_id VARCHAR(40) NOT NULL,
              ca VARCHAR(64) NOT NULL,
              week BIGINT NOT NULL,
              n BIGINT NOT NULL,
              PRIMARY KEY (tenant_id, ca, week)))",
         // Counts that move with the clock, each one index range: expiring
         // (and not yet replaced) and revoked in the last day.
         "CREATE INDEX certificates_tenant_active_expiry ON certificates (tenant_id, status, not_after, renewed_by)",
         "CREATE INDEX certificates_tenant_revoked ON certificates (tenant_id, revoked_at) WHERE revoked_at IS NOT NULL",
         // Failing renewals: tiny (only those), and three terms long so the
         // planner prefers it to the expiry index without statistics.
         "CREATE INDEX certificates_tenant_renewal_failing ON certificates (tenant_id, status, renewal_attempts) "
         "WHERE renewal_attempts > 0",
     }},
    {18, "people's sessions on the dashboard",
     {
         // db/sessions.cpp: hashes of cookies and sign-in states only.
         R"(CREATE TABLE sessions (
              id_hash VARCHAR(64) PRIMARY KEY,
              principal TEXT NOT NULL,
              source VARCHAR(200) NOT NULL,
              created_at BIGINT NOT NULL,
              last_seen_at BIGINT NOT NULL,
              idle_until BIGINT NOT NULL,
              expires_at BIGINT NOT NULL,
              ended_at BIGINT))",
         "CREATE INDEX sessions_expiry ON sessions (expires_at)",
         // A token's sessions end with it (db/tokens.cpp).
         "CREATE INDEX sessions_source ON sessions (source)",
         R"(CREATE TABLE oidc_logins (
              state_hash VARCHAR(64) PRIMARY KEY,
              nonce VARCHAR(100) NOT NULL,
              code_verifier VARCHAR(128) NOT NULL,
              return_to VARCHAR(500) NOT NULL,
              created_at BIGINT NOT NULL))",
     }},
    {19, "the dashboard's live feed",
     {
         // db/live_feed.cpp reads changes in (updated_at, id) order per tenant.
         "CREATE INDEX requests_tenant_updated ON requests (tenant_id, updated_at, id)",
         "CREATE INDEX notifications_tenant_failed ON notifications (tenant_id, updated_at, id) WHERE status = 'failed'",
     }},
    // db/name_search.cpp: SQLite FTS5 trigrams or PostgreSQL pg_trgm.
    {20, "the names' trigram index for searches by part of a name", {}},
    {21, "expiring certificates counted by day",
     {
         R"(CREATE TABLE certificate_expiry_days (
              tenant_id VARCHAR(40) NOT NULL,
              ca VARCHAR(64) NOT NULL,
              day BIGINT NOT NULL,
              n BIGINT NOT NULL,
              PRIMARY KEY (tenant_id, ca, day)))",
     }},
    // db/certificates.cpp: a CA's chain is kept once and certificates point
    // at it, instead of a copy of it in every row (about 650 bytes each for
    // a P-256 hierarchy). Rows recorded before keep their own copy.
    {22, "issuing chains stored once",
     {
         R"(CREATE TABLE issuing_chains (
              id VARCHAR(64) PRIMARY KEY,
              chain_pem TEXT NOT NULL,
              created_at BIGINT NOT NULL))",
         "ALTER TABLE certificates ADD COLUMN chain_id VARCHAR(64)",
     }},
    // db/renewals.cpp: the scheduler's "what is due" reads only certificates
    // that can be due (its WHERE repeats this one's terms, so both engines
    // use it), in not_after order per profile, and stops at its limit: its
    // cost follows what is due, not the inventory.
    {23, "renewals found by their own index",
     {
         "CREATE INDEX certificates_renewal_due ON certificates (profile, not_after) WHERE status = 'active' AND "
         "auto_renew = 1 AND renewed_by IS NULL AND renewal_request_id IS NULL",
     }},
    // db/name_search.cpp: SQLite's trigram index is written in the background.
    {24, "names indexed for search in the background", {}},
};

// Steps that SQL alone cannot do, run after a migration's statements in
// the same transaction.
const std::map<int, void (*)(soci::session&)> kMigrationCode = {
    {7, &chain_existing_audit},  // hashes need SHA-256
    {16, &backfill_key_kinds},   // the key is inside each certificate's DER
    {17, &create_certificate_counters},  // triggers differ between the engines
    {20, &create_name_trigrams},         // so do trigram indexes
    {21, &count_expiry_by_day},          // the triggers again, by day
    {24, &queue_names_for_trigrams},     // SQLite only
};

void ensure_version_table(soci::session& s) {
  s << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
       "name VARCHAR(100) NOT NULL, applied_at BIGINT NOT NULL)";
}

int version_of(soci::session& s) {
  ensure_version_table(s);
  int version = 0;
  soci::indicator ind = soci::i_ok;
  s << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

constexpr long long kMigrationLock = 0x5369676e65744d69;  // "SignetMi": Signet's key for pg_advisory_lock

}  // namespace

int Database::known_schema_version() { return kMigrations.back().version; }

Result<std::vector<PendingMigration>> Database::pending_migrations() {
  try {
    Connection connection(*this);
    const int current = version_of(*connection);
    if (auto newer = refuse_newer(current)) return *newer;
    std::vector<PendingMigration> pending;
    for (const auto& m : kMigrations)
      if (m.version > current) pending.push_back({m.version, m.name});
    return pending;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

// A binary older than its database would write rows the newer schema's
// triggers and readers do not expect: it stops instead (docs/upgrading.md).
std::optional<Error> Database::refuse_newer(int current) {
  if (current <= known_schema_version()) return std::nullopt;
  return make_error(ErrorCode::invalid_config,
                    "the database's schema is at version " + std::to_string(current) + ", newer than this signet knows (" +
                        std::to_string(known_schema_version()) + "): a newer release upgraded it. Run that release, or "
                        "restore the backup taken before the upgrade (docs/upgrading.md)");
}

int Database::schema_version() {
  Connection connection(*this);
  return version_of(*connection);
}

// Hosts starting together on one PostgreSQL database take turns: the first
// migrates, the others wait on a session advisory lock (released when its
// holder's connection ends, even by a crash) and then find nothing to do.
// SQLite's BEGIN IMMEDIATE already serializes them.
Result<void> Database::migrate(int up_to) {
  try {
    Connection connection(*this);
    soci::session& s = *connection;
    if (!sqlite_) s << "SELECT pg_advisory_lock(" << kMigrationLock << ")";
    const int before = version_of(s);
    if (auto newer = refuse_newer(before)) {
      if (!sqlite_) s << "SELECT pg_advisory_unlock(" << kMigrationLock << ")";
      return *newer;
    }
    auto applied = apply_migrations(before, up_to);
    if (!sqlite_) s << "SELECT pg_advisory_unlock(" << kMigrationLock << ")";
    // SQLite plans by sqlite_stat1 when it exists; statistics taken before a
    // migration added indexes make it pick them blindly (a listing went from
    // 4 ms to 600 ms so). PRAGMA optimize refreshes what is stale, bounded by
    // analysis_limit. PostgreSQL's autovacuum analyzes by itself.
    if (sqlite_ && applied && version_of(s) != before) {
      s << "PRAGMA analysis_limit=1000";
      s << "PRAGMA optimize";
    }
    return applied;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<void> Database::apply_migrations(int current, int up_to) {
  try {
    for (const auto& m : kMigrations) {
      if (m.version <= current || m.version > up_to) continue;
      auto applied = write([&](soci::session& s) {
        // Another host may have applied it meanwhile (PostgreSQL, shared database).
        int done = 0;
        s << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(m.version), soci::into(done);
        if (done) return;
        for (const char* sql : m.statements) s << sql;
        if (const auto code = kMigrationCode.find(m.version); code != kMigrationCode.end()) code->second(s);
        const long long now = to_unix_ms(Clock::now());
        const std::string name = m.name;
        s << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)",
            soci::use(m.version), soci::use(name), soci::use(now);
      });
      if (!applied) return applied;
    }
    return {};
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace signet::host
