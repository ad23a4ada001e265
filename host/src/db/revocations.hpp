// The revocation list every CRL and OCSP answer is made from, and the
// CRLs published from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <signet/ca.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// A CRL's scope: a CA and one of its shards (0: the CRL at /pki/<ca>/crl).
struct CrlScope {
  std::string ca;
  int shard = 0;
  auto operator<=>(const CrlScope&) const = default;
};

// The highest revocation seq, 0 when there is none.
Result<long long> latest_revocation_seq(Database& db);
// The scopes that got revocations after `after_seq`.
Result<std::vector<CrlScope>> scopes_revoked_since(Database& db, long long after_seq);

// The entries of a scope with after_seq < seq <= up_to_seq, leaving out
// certificates that expired before `expired_before`.
Result<std::vector<CrlEntry>> crl_entries(Database& db, const CrlScope& scope, long long after_seq, long long up_to_seq,
                                          TimePoint expired_before);

// The next cRLNumber of a CA (1, 2, ...), taken in its own transaction.
Result<std::uint64_t> take_crl_number(Database& db, const std::string& ca);

struct StoredCrl {
  CrlScope scope;
  bool delta = false;
  std::uint64_t number = 0;
  TimePoint this_update, next_update;
  long long last_seq = 0;  // the revocations up to it are in this CRL
  std::string der;
};
Result<void> save_crl(Database& db, const StoredCrl& crl);
Result<std::vector<StoredCrl>> load_crls(Database& db);

// "0a1b..." (whole octets, as the certificates table keeps serials) into an entry's serial.
bool set_entry_serial(CrlEntry& entry, std::string_view hex);

// How a certificate was revoked, as its revocation and its row record it.
struct RevocationMark {
  TimePoint at{};
  int reason_code = 0;  // RFC 5280 CRLReason, for the revocation (CRLs, OCSP)
  std::string reason;   // its API name, for the certificate's row
  std::optional<TimePoint> invalidity_date;
};
// Inside a write transaction: numbers the certificate's revocation (the
// next seq), then marks the certificate revoked. Nothing for a certificate
// revoked already: its first revocation time and reason stand.
void record_revocation(soci::session& s, const std::string& tenant_id, const std::string& certificate_id,
                       const RevocationMark& mark);

}  // namespace signet::host
