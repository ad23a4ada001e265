// What the OCSP responder reads and keeps: each certificate's status and
// each CA's delegated responder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/audit.hpp"
#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// A certificate's status as OCSP reports it (RFC 6960 §2.2).
struct CertificateStatus {
  enum class Kind { unknown, good, revoked } kind = Kind::unknown;
  TimePoint revoked_at;
  int reason = 0;  // RFC 5280 §5.3.1 CRLReason
};

// The status of the certificate `serial_hex` (as the certificates table
// keeps serials) of CA instance `ca`: unknown when the host never issued it.
Result<CertificateStatus> certificate_status(Database& db, const std::string& ca, const std::string& serial_hex);

struct RevokedSerial {
  long long seq = 0;
  std::string ca, serial;
};
// Revocations with seq > after_seq, oldest first, at most `limit`.
Result<std::vector<RevokedSerial>> revocations_after(Database& db, long long after_seq, int limit);

struct IssuedSerial {
  std::string ca, serial;
  long long created_at = 0;  // Unix ms
  CertificateStatus status;  // as certificate_status() would read it
};
// Certificates recorded after `after_ms` and up to `up_to_ms`, oldest
// first, at most `limit` (through the per-tenant creation index).
Result<std::vector<IssuedSerial>> certificates_recorded_after(Database& db, long long after_ms, long long up_to_ms,
                                                              int limit);

struct StoredOcspSigner {
  std::string ca, keys_instance, key_id, certificate_pem;
  TimePoint not_after, created_at;
};
Result<std::optional<StoredOcspSigner>> load_ocsp_signer(Database& db, const std::string& ca);
// Replaces the CA's signer (a renewal) or records its first, with its
// audit record in the same transaction.
Result<void> save_ocsp_signer(Database& db, const StoredOcspSigner& signer, const AuditRecord& audit);

}  // namespace signet::host
