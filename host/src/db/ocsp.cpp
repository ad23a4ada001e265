#include "db/ocsp.hpp"

namespace signet::host {

namespace {

// A certificate the host issued, with its row of the numbered revocation
// list if any (the truth for CRLs; OCSP says the same).
CertificateStatus status_of(bool revoked, long long revoked_at, int reason) {
  CertificateStatus out;
  out.kind = revoked ? CertificateStatus::Kind::revoked : CertificateStatus::Kind::good;
  if (revoked) {
    out.revoked_at = from_unix_ms(revoked_at);
    out.reason = reason;
  }
  return out;
}

}  // namespace

Result<CertificateStatus> certificate_status(Database& db, const std::string& ca, const std::string& serial_hex) {
  return read(db, [&](soci::session& s) -> Result<CertificateStatus> {
    std::string status;
    long long revoked_at = 0;
    int reason = 0;
    soci::indicator status_ind = soci::i_null, revoked_ind = soci::i_null, reason_ind = soci::i_null;
    s << "SELECT c.status, r.revoked_at, r.reason FROM certificates c "
         "LEFT JOIN revocations r ON r.ca = c.ca AND r.serial = c.serial "
         "WHERE c.ca = :ca AND c.serial = :serial",
        soci::use(ca), soci::use(serial_hex), soci::into(status, status_ind), soci::into(revoked_at, revoked_ind),
        soci::into(reason, reason_ind);
    if (!s.got_data()) return CertificateStatus{};
    return status_of(revoked_ind == soci::i_ok, revoked_at, reason_ind == soci::i_ok ? reason : 0);
  });
}

Result<std::vector<RevokedSerial>> revocations_after(Database& db, long long after_seq, int limit) {
  return read(db, [&](soci::session& s) -> Result<std::vector<RevokedSerial>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT seq, ca, serial FROM revocations WHERE seq > :after ORDER BY seq LIMIT :limit",
         soci::use(after_seq), soci::use(limit));
    std::vector<RevokedSerial> out;
    for (const auto& row : rows) out.push_back({row.get<long long>(0), row.get<std::string>(1), row.get<std::string>(2)});
    return out;
  });
}

Result<std::vector<IssuedSerial>> certificates_recorded_after(Database& db, long long after_ms, long long up_to_ms,
                                                              int limit) {
  return read(db, [&](soci::session& s) -> Result<std::vector<IssuedSerial>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT c.ca, c.serial, c.created_at, r.revoked_at, r.reason FROM tenants t JOIN certificates c "
                      "ON c.tenant_id = t.id AND c.created_at > :after AND c.created_at <= :upto "
                      "LEFT JOIN revocations r ON r.ca = c.ca AND r.serial = c.serial "
                      "ORDER BY c.created_at LIMIT :limit",
         soci::use(after_ms), soci::use(up_to_ms), soci::use(limit));
    std::vector<IssuedSerial> out;
    for (const auto& row : rows) {
      const bool revoked = row.get_indicator(3) == soci::i_ok;
      const int reason = row.get_indicator(4) == soci::i_ok ? row.get<int>(4) : 0;
      out.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<long long>(2),
                     status_of(revoked, revoked ? row.get<long long>(3) : 0, reason)});
    }
    return out;
  });
}

Result<std::optional<StoredOcspSigner>> load_ocsp_signer(Database& db, const std::string& ca) {
  return read(db, [&](soci::session& s) -> Result<std::optional<StoredOcspSigner>> {
    StoredOcspSigner out;
    long long not_after = 0, created_at = 0;
    s << "SELECT keys_instance, key_id, certificate_pem, not_after, created_at FROM ocsp_signers WHERE ca = :ca",
        soci::use(ca), soci::into(out.keys_instance), soci::into(out.key_id), soci::into(out.certificate_pem),
        soci::into(not_after), soci::into(created_at);
    if (!s.got_data()) return std::optional<StoredOcspSigner>{};
    out.ca = ca;
    out.not_after = from_unix_ms(not_after);
    out.created_at = from_unix_ms(created_at);
    return std::optional<StoredOcspSigner>{std::move(out)};
  });
}

Result<void> save_ocsp_signer(Database& db, const StoredOcspSigner& signer, const AuditRecord& audit) {
  const long long not_after = to_unix_ms(signer.not_after), created_at = to_unix_ms(signer.created_at);
  return db.write([&](soci::session& s) {
    s << "DELETE FROM ocsp_signers WHERE ca = :ca", soci::use(signer.ca);
    s << "INSERT INTO ocsp_signers (ca, keys_instance, key_id, certificate_pem, not_after, created_at) "
         "VALUES (:ca, :keys, :key_id, :pem, :not_after, :created_at)",
        soci::use(signer.ca), soci::use(signer.keys_instance), soci::use(signer.key_id),
        soci::use(signer.certificate_pem), soci::use(not_after), soci::use(created_at);
    append_audit(s, audit);
  });
}

}  // namespace signet::host
