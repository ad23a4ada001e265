#include "lifecycle/jobs.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"
#include "notify/outbox.hpp"
#include "pipeline/revoke_request.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

const char* const kPrincipal = "system:lifecycle";

// A certificate as the lifecycle jobs read it.
struct Candidate {
  std::string id, tenant_id, ca, serial, common_name, profile, service, renewed_by;
  TimePoint not_after{}, not_after_use{};
  long long warned_before = 0;  // 0: no warning yet
  bool auto_renew = false;
};

constexpr const char* kCandidateColumns =
    "id, tenant_id, ca, serial, common_name, profile, service, renewed_by, not_after, not_after_use, "
    "expiry_warned_before, auto_renew";

Candidate candidate_of(const soci::row& r) {
  Candidate c;
  c.id = r.get<std::string>(0);
  c.tenant_id = r.get<std::string>(1);
  c.ca = r.get<std::string>(2);
  c.serial = r.get<std::string>(3);
  c.common_name = text_at(r, 4);
  c.profile = r.get<std::string>(5);
  c.service = text_at(r, 6);
  c.renewed_by = text_at(r, 7);
  c.not_after = from_unix_ms(r.get<long long>(8));
  if (r.get_indicator(9) == soci::i_ok) c.not_after_use = from_unix_ms(r.get<long long>(9));
  if (r.get_indicator(10) == soci::i_ok) c.warned_before = r.get<long long>(10);
  c.auto_renew = r.get<int>(11) != 0;
  return c;
}

std::vector<Candidate> candidates(Database& db, const FilterQuery& q, const std::string& order, int limit) {
  std::vector<Candidate> out;
  Connection connection(db);
  soci::session& s = *connection;
  q.run(s, std::string("SELECT ") + kCandidateColumns + " FROM certificates WHERE " + q.where() + " ORDER BY " + order +
               " LIMIT " + std::to_string(limit),
        [&](const soci::row& r) { out.push_back(candidate_of(r)); });
  return out;
}

OutboxEvent certificate_event(const Candidate& c, EventType type, const std::string& what) {
  OutboxEvent e;
  e.type = type;
  e.id = event_id(c.id + ":" + what);
  e.tenant_id = c.tenant_id;
  e.certificate_id = c.id;
  e.time = Clock::now();
  e.data = {{"serial", c.serial}, {"common_name", c.common_name}, {"profile", c.profile}, {"service", c.service},
            {"not_after", to_rfc3339(c.not_after)}, {"auto_renew", c.auto_renew}};
  if (!c.renewed_by.empty()) e.data["renewed_by"] = c.renewed_by;
  return e;
}

// "30d" for whole days (how warnings are configured and read), else "36h".
std::string warning_label(std::chrono::milliseconds before) {
  constexpr long long kDay = 86'400'000;
  return before.count() % kDay == 0 ? std::to_string(before.count() / kDay) + "d" : format_duration(before);
}

}  // namespace

std::vector<std::string> LifecycleJobs::notifiers_for(const std::string& tenant_id) const {
  const Pipeline* p = runner_.pipeline("issue", tenant_id);
  return p ? p->notifiers() : std::vector<std::string>{};
}

void LifecycleJobs::revoke_at_end_of_use() {
  std::vector<Candidate> due;
  try {
    const long long now = to_unix_ms(Clock::now());
    FilterQuery q("status = 'active' AND not_after_use IS NOT NULL");
    q.also("not_after_use <= " + q.bind(now));
    due = candidates(db_, q, "not_after_use", config_.lifecycle.batch);
  } catch (const std::exception& e) {
    log_.warn("cannot look for certificates at their end of use", {{"error", database_error(e).message}});
    return;
  }
  for (const auto& c : due) {
    // One revocation request per certificate, whatever the number of rounds
    // that see it before the (possibly remote) CA has answered.
    const std::string id = "req_" + sha256_hex(c.id + ":end-of-use").substr(0, 26);
    try {
      Connection connection(db_);
      soci::session& s = *connection;
      if (query_number(s, "SELECT COUNT(*) FROM requests WHERE id = :id", {id}).value_or(0) > 0) continue;
      std::string pem;
      s << "SELECT certificate_pem FROM certificates WHERE id = :id", soci::use(c.id), soci::into(pem);
      RequestRecord q;
      q.id = id;
      q.tenant_id = c.tenant_id;
      q.operation = "revoke";
      q.principal = kPrincipal;
      q.input = to_json(RevokeInput{{{c.id, c.ca, c.serial, pem, c.service}}, "cessation_of_operation", c.not_after_use});
      q.state = {{"caller", {{"principal", kPrincipal}, {"auth", "scheduler"}, {"source", "lifecycle"}}}};
      auto ran = runner_.submit(std::move(q), config_.renewal.request_wait);
      log_.info("revoked at the end of use", {{"certificate", c.id}, {"end_of_use", to_rfc3339(c.not_after_use)},
                                               {"request_id", id},
                                               {"status", ran ? to_string(ran->status) : ran.error().message}});
    } catch (const std::exception& e) {
      log_.warn("cannot revoke at the end of use", {{"certificate", c.id}, {"error", database_error(e).message}});
    }
  }
}

void LifecycleJobs::mark_expired() {
  std::vector<Candidate> expired;
  const long long now = to_unix_ms(Clock::now());
  try {
    FilterQuery q("status = 'active'");
    q.also("not_after <= " + q.bind(now));
    expired = candidates(db_, q, "not_after", config_.lifecycle.batch);
  } catch (const std::exception& e) {
    log_.warn("cannot look for expired certificates", {{"error", database_error(e).message}});
    return;
  }
  if (expired.empty()) return;
  auto written = db_.write([&](soci::session& s) {
    for (const auto& c : expired) {
      if (execute(s, "UPDATE certificates SET status = 'expired', updated_at = :now WHERE id = :id AND status = 'active'",
                  {now, c.id}) == 0)
        continue;
      const OutboxEvent event = certificate_event(c, EventType::expired, "expired");
      if (c.renewed_by.empty()) record_event(s, event, notifiers_for(c.tenant_id));
      else record_unsent_event(s, event, notifiers_for(c.tenant_id), "the certificate was replaced by " + c.renewed_by);
    }
  });
  if (!written) log_.warn("cannot mark certificates expired", {{"error", written.error().message}});
}

void LifecycleJobs::warn_expiring() {
  const auto& thresholds = config_.lifecycle.expiry_warnings;  // longest first
  const long long now = to_unix_ms(Clock::now());
  // Nearest threshold first: a certificate past several unseen ones gets the nearest only.
  for (auto t = thresholds.rbegin(); t != thresholds.rend(); ++t) {
    const long long before = t->count();
    std::vector<Candidate> due;
    try {
      FilterQuery q("status = 'active'");
      q.also("not_after > " + q.bind(now));
      q.also("not_after <= " + q.bind(now + before));
      q.also("(expiry_warned_before IS NULL OR expiry_warned_before > " + q.bind(before) + ")");
      due = candidates(db_, q, "not_after", config_.lifecycle.batch);
    } catch (const std::exception& e) {
      log_.warn("cannot look for expiring certificates", {{"error", database_error(e).message}});
      return;
    }
    if (due.empty()) continue;
    auto written = db_.write([&](soci::session& s) {
      for (const auto& c : due) {
        if (execute(s, "UPDATE certificates SET expiry_warned_before = :b WHERE id = :id AND (expiry_warned_before IS NULL "
                       "OR expiry_warned_before > :b2)", {before, c.id, before}) == 0)
          continue;
        const auto notifiers = notifiers_for(c.tenant_id);
        const std::string label = warning_label(*t);
        OutboxEvent event = certificate_event(c, EventType::expiring, "expiring:" + label);
        event.data["warning"] = label;
        event.data["expires_in"] = format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(c.not_after - Clock::now()));
        if (c.renewed_by.empty()) record_event(s, event, notifiers);
        else record_unsent_event(s, event, notifiers, "the certificate was replaced by " + c.renewed_by);
        // Farther thresholds this certificate never got: explained, not sent late.
        for (const auto& farther : thresholds) {
          if (farther <= *t || (c.warned_before != 0 && farther.count() >= c.warned_before)) continue;
          OutboxEvent skipped = certificate_event(c, EventType::expiring, "expiring:" + warning_label(farther));
          skipped.data["warning"] = warning_label(farther);
          record_unsent_event(s, skipped, notifiers, "superseded by the " + label + " warning: the certificate was already closer to expiry when it was seen");
        }
      }
    });
    if (!written) log_.warn("cannot record expiry warnings", {{"error", written.error().message}});
  }
}

void LifecycleJobs::announce_secret_rotations() {
  struct Due {
    std::string tenant_id, path;
    long long version = 0, rotate_at = 0;
  };
  std::vector<Due> due;
  const long long now = to_unix_ms(Clock::now());
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT tenant_id, path, current_version, rotate_at FROM secrets WHERE rotate_at IS NOT NULL AND "
                      "rotate_at <= :now AND (rotation_event_at IS NULL OR rotation_event_at < rotate_at) LIMIT "
                   << config_.lifecycle.batch,
         soci::use(now));
    for (const auto& r : rows) due.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<long long>(2), r.get<long long>(3)});
  } catch (const std::exception& e) {
    log_.warn("cannot look for secrets due for rotation", {{"error", database_error(e).message}});
    return;
  }
  if (due.empty()) return;
  auto written = db_.write([&](soci::session& s) {
    for (const auto& d : due) {
      OutboxEvent e;
      e.type = EventType::secret_rotation;
      e.id = event_id(d.tenant_id + "\n" + d.path + "\n" + std::to_string(d.rotate_at));
      e.tenant_id = d.tenant_id;
      e.time = Clock::now();
      e.data = {{"path", d.path}, {"version", d.version}, {"rotate_at", to_rfc3339(from_unix_ms(d.rotate_at))}};
      record_event(s, e, config_.secrets.notify);
      execute(s, "UPDATE secrets SET rotation_event_at = :now WHERE tenant_id = :t AND path = :p", {now, d.tenant_id, d.path});
    }
  });
  if (!written) log_.warn("cannot record secret rotation events", {{"error", written.error().message}});
}

}  // namespace signet::host
