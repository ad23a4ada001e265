#include "db/renewals.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {

Result<std::vector<DueRenewal>> due_renewals(Database& db, const RenewalDueQuery& query) {
  const long long now = to_unix_ms(query.now), horizon = to_unix_ms(query.horizon);
  std::vector<DueRenewal> out;
  try {
    Connection connection(db);
    soci::session& s = *connection;
    // Due: remaining <= min(threshold, lifetime / 3), i.e. remaining <=
    // threshold and 3 * remaining <= lifetime. The lifetime is the one
    // asked for, from issuance: a CA backdates notBefore (60 s by default),
    // which would make a certificate of 30 s due the moment it is issued.
    // A time-bound certificate whose end of use comes before its notAfter
    // needs no successor.
    FilterQuery q("status = 'active' AND auto_renew = 1 AND renewed_by IS NULL AND renewal_request_id IS NULL");
    q.also("profile = " + q.bind(query.profile));
    q.also("not_after <= " + q.bind(horizon));
    q.also("(not_after - " + q.bind(now) +
           ") * 3 <= (not_after - CASE WHEN created_at > not_before THEN created_at ELSE not_before END)");
    q.also("(next_renewal_attempt_at IS NULL OR next_renewal_attempt_at <= " + q.bind(now) + ")");
    q.also("(not_after_use IS NULL OR not_after_use > not_after)");
    if (query.retries_only) q.also("next_renewal_attempt_at IS NOT NULL");
    if (!query.tenant_id.empty()) q.also("tenant_id = " + q.bind(query.tenant_id));
    q.run(s,
          "SELECT id, tenant_id FROM certificates WHERE " + q.where() + " ORDER BY not_after LIMIT " +
              std::to_string(query.limit),
          [&](const soci::row& r) { out.push_back({r.get<std::string>(0), r.get<std::string>(1)}); });
  } catch (const std::exception& e) {
    return database_error(e);
  }
  return out;
}

Result<bool> claim_renewal(Database& db, const std::string& tenant_id, const std::string& id,
                           const std::string& request_id, TimePoint now) {
  const long long now_ms = to_unix_ms(now);
  long long claimed = 0;
  auto written = db.write([&](soci::session& s) {
    claimed = execute(s,
                      "UPDATE certificates SET renewal_request_id = :req, last_renewal_attempt_at = :now "
                      "WHERE tenant_id = :t AND id = :id AND renewed_by IS NULL AND renewal_request_id IS NULL "
                      "AND status <> 'revoked'",
                      {request_id, now_ms, tenant_id, id});
  });
  if (!written) return std::move(written).error();
  return claimed != 0;
}

Result<void> release_renewal_claim(Database& db, const std::string& tenant_id, const std::string& id,
                                   const std::string& request_id) {
  return db.write([&](soci::session& s) {
    execute(s,
            "UPDATE certificates SET renewal_request_id = NULL "
            "WHERE tenant_id = :t AND id = :id AND renewal_request_id = :req",
            {tenant_id, id, request_id});
  });
}

Result<void> release_orphaned_renewal_claims(Database& db, TimePoint claimed_before) {
  const long long before = to_unix_ms(claimed_before);
  return db.write([&](soci::session& s) {
    execute(s,
            "UPDATE certificates SET renewal_request_id = NULL WHERE renewal_request_id IS NOT NULL "
            "AND last_renewal_attempt_at < :before "
            "AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = renewal_request_id)",
            {before});
  });
}

std::optional<ClaimedRenewal> claimed_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                                              const std::string& request_id) {
  soci::row row;
  s << "SELECT renewal_attempts, not_after FROM certificates "
       "WHERE tenant_id = :t AND id = :id AND renewal_request_id = :req",
      soci::use(tenant_id), soci::use(id), soci::use(request_id), soci::into(row);
  if (!s.got_data()) return std::nullopt;  // not claimed by this request
  return ClaimedRenewal{row.get<int>(0), from_unix_ms(row.get<long long>(1))};
}

void record_failed_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                           const std::string& request_id, const RenewalFailure& failure) {
  const long long next = to_unix_ms(failure.next_attempt_at);
  execute(s,
          "UPDATE certificates SET renewal_request_id = NULL, renewal_attempts = :a, next_renewal_attempt_at = :next, "
          "renewal_error = :err WHERE tenant_id = :t AND id = :id AND renewal_request_id = :req",
          {failure.attempts, next, failure.error, tenant_id, id, request_id});
}

void record_refused_renewal(soci::session& s, const std::string& tenant_id, const std::string& id,
                            const RenewalFailure& failure, TimePoint at) {
  const long long next = to_unix_ms(failure.next_attempt_at), now = to_unix_ms(at);
  execute(s,
          "UPDATE certificates SET renewal_attempts = :a, next_renewal_attempt_at = :next, renewal_error = :err, "
          "last_renewal_attempt_at = :now WHERE tenant_id = :t AND id = :id",
          {failure.attempts, next, failure.error, now, tenant_id, id});
}

void link_renewal(soci::session& s, const std::string& tenant_id, const std::string& old_id, const std::string& new_id,
                  TimePoint at) {
  const long long now = to_unix_ms(at);
  execute(s,
          "UPDATE certificates SET renewed_by = :id, renewal_request_id = NULL, renewal_error = NULL, "
          "next_renewal_attempt_at = NULL, updated_at = :now WHERE tenant_id = :t AND id = :old",
          {new_id, now, tenant_id, old_id});
  execute(s,
          "UPDATE certificates SET renewal_count = (SELECT o.renewal_count + 1 FROM certificates o "
          "WHERE o.tenant_id = :t AND o.id = :old) WHERE tenant_id = :t2 AND id = :id",
          {tenant_id, old_id, tenant_id, new_id});
}

}  // namespace signet::host
