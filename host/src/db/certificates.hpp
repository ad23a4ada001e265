// The certificates table: what every CA issued, per tenant, and the search
// behind GET /v1/certificates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct CertificateRow {
  std::string id, tenant_id, request_id, ca, serial, common_name, profile, status;
  nlohmann::json sans = nlohmann::json::object();      // {dns, ip, email, uri}
  nlohmann::json metadata = nlohmann::json::object();
  TimePoint not_before{}, not_after{}, created_at{};
  std::optional<TimePoint> revoked_at;
  std::string revocation_reason, renews, renewed_by, key_sha256;
  std::string certificate_pem, chain_pem;
  // Where the private key is kept when the host made it (a store instance
  // and a path in it); empty when the caller holds the key.
  std::string key_store, key_path;
  std::string service;  // the application it belongs to; empty when none
  std::string lineage;  // the first certificate of its renewal chain (its own id when not a renewal)
  std::string key_type;  // rsa, ecdsa, ed25519, ed448 (pkix/key_kind.hpp); "" when unknown
  int key_bits = 0;
  int crl_shard = 0;    // the CRL that lists it once revoked (pki/status_urls.hpp)
  // Lifecycle (docs/lifecycle.md).
  bool auto_renew = false;
  int renewal_count = 0;                 // renewals that led to this certificate
  std::optional<TimePoint> not_after_use;  // revoked then, cessation of operation
  std::string renewal_request_id;        // a renewal under way
  int renewal_attempts = 0;              // failed renewals in a row
  std::optional<TimePoint> last_renewal_attempt_at, next_renewal_attempt_at;
  std::string renewal_error;
  TimePoint updated_at{};
};

// A row as the columns take it, serialised ahead of the write transaction.
struct CertificateColumns {
  explicit CertificateColumns(CertificateRow row);
  CertificateRow row;
  std::string sans, metadata;
  long long not_before, not_after, created;
  std::optional<long long> not_after_use;
  std::vector<std::string> names;  // lower-cased CN and SANs
  std::string chain_id;            // SHA-256 of the chain: its row in issuing_chains (migration 22)
};

// Inside a write transaction; also records every name for exact lookups.
// False (and nothing written) when the certificate's row exists already.
bool insert_certificate(soci::session& s, const CertificateColumns& columns);

// Migration 16: the key type and size of the certificates recorded before
// the columns existed, read from their PEMs.
void backfill_key_kinds(soci::session& s);

Result<std::optional<CertificateRow>> find_certificate(Database& db, const std::string& tenant_id, const std::string& id);

// The orders GET /v1/certificates offers, each paged by its own cursor.
enum class CertificateOrder { created_at, not_after, common_name };

// Every filter is optional; those given must all hold.
struct CertificateFilter {
  std::string status;        // active, revoked, expired, superseded (active and replaced by a renewal)
  std::string common_name;   // exact
  std::string name;          // exact CN or SAN (the `san` parameter); an IP address too
  std::string name_suffix;   // "*.example.com": that name or any name ending ".example.com"
  std::string profile;
  std::string service;       // exact; forced to the caller's own for `_own` access
  std::string ca;
  std::string serial;        // lower-case hex, whole octets
  std::string key_type;      // rsa, ecdsa, ed25519, ed448
  int key_bits = 0;
  std::string renewal;       // renewed, not_renewed, failing (its last renewal attempts failed)
  std::vector<std::string> texts;  // each a substring of the CN or a SAN
  std::vector<std::pair<std::string, std::string>> metadata;  // exact values
  std::optional<TimePoint> expiring_before;
  std::optional<TimePoint> issued_since, issued_until, revoked_since, revoked_until;  // [since, until)
  CertificateOrder order = CertificateOrder::created_at;
  bool ascending = false;
  int limit = 100;
  std::string cursor;        // from the previous page, of the same order
};

struct CertificatePage {
  std::vector<CertificateRow> items;  // in the filter's order, without PEMs
  std::string next_cursor;            // empty on the last page
  bool names_by_index = false;        // a part of a name was rare, so the trigram index found it (db/name_search.hpp)
};

// Certificates changed (issued, renewed, revoked, expired) after a point,
// oldest change first: GET /v1/certificates/updates. The point is the
// (updated_at, id) of the last change seen.
struct UpdatesPage {
  std::vector<CertificateRow> items;
  long long last_ms = 0;  // where the next poll starts
  std::string last_id;
};
Result<UpdatesPage> list_certificate_updates(Database& db, const std::string& tenant_id, const std::string& service,
                                             long long since_ms, const std::string& since_id, int limit);

// The services (owners) the tenant's certificates name, at most `limit`.
Result<std::vector<std::string>> certificate_services(Database& db, const std::string& tenant_id, int limit);

// Error{invalid_argument} for a malformed cursor.
Result<CertificatePage> list_certificates(Database& db, const std::string& tenant_id, const CertificateFilter& filter,
                                          TimePoint now);

// Every other certificate of the tenant with this public key that is active
// and unexpired at `now`, with PEMs (as find_certificate), oldest first:
// revoking "all with the same key".
Result<std::vector<CertificateRow>> certificates_with_key(Database& db, const std::string& tenant_id,
                                                          const std::string& key_sha256, const std::string& except_id,
                                                          TimePoint now);

// Whether one of `cas` issued this serial and its record says revoked
// (certificates.status): client-certificate logins.
Result<bool> certificate_revoked(Database& db, const std::vector<std::string>& cas, const std::string& serial_hex);

}  // namespace signet::host
