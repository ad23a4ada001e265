#include "db/certificate_jobs.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

// candidate_of() reads these by position.
constexpr const char* kCandidateColumns =
    "id, tenant_id, ca, serial, common_name, profile, service, renewed_by, not_after, not_after_use, "
    "expiry_warned_before, auto_renew";

LifecycleCandidate candidate_of(const soci::row& r) {
  LifecycleCandidate c;
  c.id = r.get<std::string>(0);
  c.tenant_id = r.get<std::string>(1);
  c.ca = r.get<std::string>(2);
  c.serial = r.get<std::string>(3);
  c.common_name = text_at(r, 4);
  c.profile = r.get<std::string>(5);
  c.service = text_at(r, 6);
  c.renewed_by = text_at(r, 7);
  c.not_after = from_unix_ms(r.get<long long>(8));
  c.not_after_use = time_at(r, 9);
  if (r.get_indicator(10) == soci::i_ok) c.warned_before = std::chrono::milliseconds(r.get<long long>(10));
  c.auto_renew = r.get<int>(11) != 0;
  return c;
}

Result<std::vector<LifecycleCandidate>> candidates(Database& db, const FilterQuery& q, const std::string& order,
                                                   int limit) {
  try {
    std::vector<LifecycleCandidate> out;
    Connection connection(db);
    soci::session& s = *connection;
    q.run(s,
          std::string("SELECT ") + kCandidateColumns + " FROM certificates WHERE " + q.where() + " ORDER BY " + order +
              " LIMIT " + std::to_string(limit),
          [&](const soci::row& r) { out.push_back(candidate_of(r)); });
    return out;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace

Result<std::vector<LifecycleCandidate>> certificates_at_end_of_use(Database& db, TimePoint now, int limit) {
  FilterQuery q("status = 'active' AND not_after_use IS NOT NULL");
  q.also("not_after_use <= " + q.bind(to_unix_ms(now)));
  return candidates(db, q, "not_after_use", limit);
}

Result<std::vector<LifecycleCandidate>> certificates_past_not_after(Database& db, TimePoint now, int limit) {
  FilterQuery q("status = 'active'");
  q.also("not_after <= " + q.bind(to_unix_ms(now)));
  return candidates(db, q, "not_after", limit);
}

Result<std::vector<LifecycleCandidate>> certificates_to_warn(Database& db, TimePoint now,
                                                             std::chrono::milliseconds before, int limit) {
  const long long now_ms = to_unix_ms(now), before_ms = before.count();
  FilterQuery q("status = 'active'");
  q.also("not_after > " + q.bind(now_ms));
  q.also("not_after <= " + q.bind(now_ms + before_ms));
  q.also("(expiry_warned_before IS NULL OR expiry_warned_before > " + q.bind(before_ms) + ")");
  return candidates(db, q, "not_after", limit);
}

bool mark_certificate_expired(soci::session& s, const std::string& id, TimePoint at) {
  const long long now = to_unix_ms(at);
  return execute(s,
                 "UPDATE certificates SET status = 'expired', updated_at = :now "
                 "WHERE id = :id AND status = 'active'",
                 {now, id}) != 0;
}

bool record_expiry_warning(soci::session& s, const std::string& id, std::chrono::milliseconds before) {
  const long long b = before.count();
  return execute(s,
                 "UPDATE certificates SET expiry_warned_before = :b WHERE id = :id AND (expiry_warned_before IS NULL "
                 "OR expiry_warned_before > :b2)",
                 {b, id, b}) != 0;
}

}  // namespace signet::host
