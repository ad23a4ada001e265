#include "lifecycle/renewals.hpp"

#include "db/renewals.hpp"
#include "lifecycle/leader_lease.hpp"
#include "notify/outbox.hpp"
#include "pipeline/request_events.hpp"
#include "pipeline/issue_request.hpp"
#include "util/backoff.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr std::chrono::minutes kRunLease{5};
constexpr std::chrono::seconds kShortestRetry{10};
// A claim whose request never reached the database (the host died between
// the two writes) is released after this.
constexpr std::chrono::minutes kOrphanedClaim{2};

json error_json(const std::string& code, const std::string& message) { return {{"code", code}, {"message", message}}; }

// The failed event of a renewal refused before it became a request (the
// profile no longer allows it, say), for the tenant's renew notifiers.
OutboxEvent refusal_event(const CertificateRow& old, const HostError& error, int attempt) {
  OutboxEvent e;
  e.type = EventType::failed;
  e.id = event_id(old.id + ":renewal-refused:" + std::to_string(attempt));
  e.tenant_id = old.tenant_id;
  e.certificate_id = old.id;
  e.time = Clock::now();
  e.data = {{"operation", "renew"}, {"common_name", old.common_name}, {"profile", old.profile},
            {"service", old.service}, {"error", error_json(error.code, error.message)}};
  return e;
}

}  // namespace

Renewals::Renewals(Database& db, Runner& runner, const Config& config, const TenantProfiles& tenant_profiles,
                   signet::Logger& log, std::string host_id)
    : db_(db), runner_(runner), config_(config), tenant_profiles_(tenant_profiles), log_(log), host_id_(std::move(host_id)) {}

std::chrono::milliseconds Renewals::backoff(int failed_attempts, TimePoint not_after) const {
  const auto delay = doubling_backoff(config_.renewal.retry_initial, config_.renewal.retry_max, failed_attempts);
  // A short-lived certificate cannot wait an hour: retry within a quarter of what is left.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(not_after - Clock::now()) / 4;
  return std::max<std::chrono::milliseconds>(std::min(delay, left), kShortestRetry);
}

std::variant<RequestRecord, HostError> Renewals::renew(const CertificateRow& old, CertificateAsk ask,
                                                      const std::string& principal, RequestCaller caller,
                                                      std::chrono::milliseconds wait) {
  auto made = make_certificate_request(config_, runner_, tenant_profiles_, "renew", old.tenant_id, principal,
                                       std::move(ask), std::move(caller));
  if (auto* refused = std::get_if<HostError>(&made)) return *refused;
  RequestRecord q = std::move(std::get<RequestRecord>(made));
  auto claimed = claim_renewal(db_, old.tenant_id, old.id, q.id, Clock::now());
  if (!claimed) return host_error(claimed.error());
  if (!claimed.value()) {
    auto now_row = find_certificate(db_, old.tenant_id, old.id);
    if (!now_row || !now_row.value()) return HostError{"not_found", "no certificate " + old.id};
    const CertificateRow& r = *now_row.value();
    if (!r.renewed_by.empty())
      return HostError{"already_renewed", "certificate " + r.id + " was replaced by " + r.renewed_by + "; renew that one"};
    if (!r.renewal_request_id.empty())
      return HostError{"renewal_in_progress", "certificate " + r.id + " is being renewed by request " + r.renewal_request_id};
    return HostError{"conflict", "certificate " + r.id + " is revoked; issue a new one instead"};
  }
  const std::string request_id = q.id;
  auto ran = runner_.submit(std::move(q), wait);
  if (!ran) {
    // Never saved: nothing will release the claim but this.
    (void)release_renewal_claim(db_, old.tenant_id, old.id, request_id);
    return host_error(ran.error());
  }
  return std::move(ran).value();
}

DeferredWrite Renewals::release_failed_claim(const RequestRecord& q) const {
  const std::string old = issue_request_from(q.input).renews;
  const std::string message = q.error_code + ": " + q.error_message;
  return [this, old, message, request_id = q.id, tenant = q.tenant_id](soci::session& s) {
    const auto claim = claimed_renewal(s, tenant, old, request_id);
    if (!claim) return;  // not claimed by this request
    const int attempts = claim->failed_attempts + 1;
    const RenewalFailure failure{attempts, Clock::now() + backoff(attempts, claim->not_after), message};
    record_failed_renewal(s, tenant, old, request_id, failure);
  };
}

Result<std::vector<Renewals::Due>> Renewals::due(const std::string& tenant_id, bool retries_only) {
  std::vector<Due> out;
  const TimePoint now = Clock::now();
  // Profile by profile, within one budget for the run.
  const auto profiles = config_.profiles.snapshot();
  for (const auto& profile : *profiles) {
    if (static_cast<int>(out.size()) >= config_.renewal.batch) break;
    RenewalDueQuery query;
    query.profile = profile.name;
    query.now = now;
    query.horizon = now + std::chrono::days(profile.renew_before_days);
    query.retries_only = retries_only;
    query.tenant_id = tenant_id;
    query.limit = config_.renewal.batch - static_cast<int>(out.size());
    auto found = due_renewals(db_, query);
    if (!found) return std::move(found).error();
    for (auto& d : found.value()) out.push_back({std::move(d.id), std::move(d.tenant_id)});
  }
  return out;
}

void Renewals::renew_one(const Due& due, const std::string& principal, RenewalRun& run) {
  auto found = find_certificate(db_, due.tenant_id, due.id);
  if (!found || !found.value()) return;
  const CertificateRow& old = *found.value();
  const RequestCaller caller{"scheduler", host_id_, principal};
  auto outcome = renew(old, renewal_ask(old, config_), principal, caller, config_.renewal.request_wait);
  if (const auto* refused = std::get_if<HostError>(&outcome)) {
    if (refused->code == "already_renewed" || refused->code == "renewal_in_progress") return;  // someone else's
    run.failed.push_back({{"id", old.id}, {"error", error_json(refused->code, refused->message)}});
    if (refused->code == "unavailable") return;  // the database: the next round tries again
    // Refused before it became a request: count the attempt and tell the notifiers here.
    const int attempts = old.renewal_attempts + 1;
    const RenewalFailure failure{attempts, Clock::now() + backoff(attempts, old.not_after),
                                 refused->code + ": " + refused->message};
    const Pipeline* pipeline = runner_.pipeline("renew", old.tenant_id);
    const OutboxEvent event = refusal_event(old, *refused, attempts);
    (void)db_.write([&](soci::session& s) {
      record_refused_renewal(s, old.tenant_id, old.id, failure, Clock::now());
      record_event(s, event, pipeline ? pipeline->notifiers() : std::vector<std::string>{});
    });
    return;
  }
  const RequestRecord& q = std::get<RequestRecord>(outcome);
  if (q.status == RequestStatus::succeeded) run.renewed.push_back({{"id", old.id}, {"replaced_by", q.certificate_id}});
  else if (q.status == RequestStatus::failed)
    run.failed.push_back({{"id", old.id}, {"request_id", q.id}, {"error", error_json(q.error_code, q.error_message)}});
  else run.pending.push_back({{"id", old.id}, {"request_id", q.id}});
}

Result<RenewalRun> Renewals::run_due(const std::string& tenant_id, const std::string& principal, bool retries_only) {
  RenewalRun run;
  // The scheduler asks every round: without a retry due, it takes no lease
  // (two writes). A certificate's claim, not the lease, keeps it from being
  // renewed twice.
  if (retries_only) {
    auto retries = due(tenant_id, true);
    if (retries && retries.value().empty()) return run;
  }
  LeaderLease lease(db_, "renewal", host_id_, kRunLease);
  auto held = lease.acquire();
  if (!held) return std::move(held).error();
  if (!held.value()) {
    // The other run may end between the refusal and the lookup: then it has no holder to name.
    const std::string holder = lease.holder();
    Error busy = make_error(ErrorCode::conflict, "a renewal run is under way on " +
                                                     (holder.empty() ? "another host" : "host " + holder) +
                                                     "; try again shortly");
    busy.retry_after = std::chrono::seconds(5);
    return busy;
  }
  auto list = due(tenant_id, retries_only);
  if (!list) {
    lease.release();
    return std::move(list).error();
  }
  for (const auto& d : list.value()) {
    renew_one(d, principal, run);
    (void)lease.acquire();  // extends it: a long run keeps it
  }
  lease.release();
  if (!list.value().empty())
    log_.info("renewal run", {{"due", list.value().size()}, {"renewed", run.renewed.size()},
                              {"failed", run.failed.size()}, {"pending", run.pending.size()}});
  return run;
}

Runner::FailureWrites final_failure_writes(Renewals& renewals) {
  return [&renewals](const RequestRecord& q, const Pipeline* pipeline, std::vector<DeferredWrite>& writes) {
    auto event = std::make_shared<const OutboxEvent>(request_failure_event(q));
    writes.push_back([event, notifiers = pipeline ? pipeline->notifiers() : std::vector<std::string>{}](soci::session& s) {
      record_event(s, *event, notifiers);
    });
    if (q.operation == "renew") writes.push_back(renewals.release_failed_claim(q));
  };
}

void Renewals::release_orphaned_claims() {
  (void)release_orphaned_renewal_claims(db_, Clock::now() - kOrphanedClaim);
}

}  // namespace signet::host
