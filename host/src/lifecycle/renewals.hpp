// Renewal of certificates: one at a time (the API's renew) or every due one
// (the scheduler, `signet renew --due`, POST /v1/renewals/run). A
// certificate is due when auto-renewal is on and its remaining lifetime is
// below min(profile threshold, a third of its lifetime) (docs/lifecycle.md).
//
// No certificate is renewed twice: a renewal claims its certificate in the
// database (certificates.renewal_request_id) before it is submitted, and a
// whole run holds the "renewal" leader lease, so hosts sharing a database
// take turns.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>
#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "pipeline/certificate_request.hpp"
#include "pipeline/runner.hpp"

namespace signet::host {

struct RenewalRun {
  nlohmann::json renewed = nlohmann::json::array();  // [{"id", "replaced_by"}]
  nlohmann::json failed = nlohmann::json::array();   // [{"id", "error": {"code", "message"}}]
  nlohmann::json pending = nlohmann::json::array();  // [{"id", "request_id"}]: still running (a remote CA)
  nlohmann::json to_json() const { return {{"renewed", renewed}, {"failed", failed}, {"pending", pending}}; }
};

class Renewals {
 public:
  Renewals(Database& db, Runner& runner, const Config& config, const TenantProfiles& tenant_profiles,
           signet::Logger& log, std::string host_id);

  // Renews `old` as `ask` says: claims it, then submits the renewal and
  // waits up to `wait`. Refused with already_renewed (it was replaced) or
  // renewal_in_progress (another renewal holds the claim).
  std::variant<RequestRecord, HostError> renew(const CertificateRow& old, CertificateAsk ask, const std::string& principal,
                                              RequestCaller caller, std::chrono::milliseconds wait);

  // Renews every due certificate of `tenant_id` ("" for every tenant), under
  // the renewal lease; Error{conflict} while another host's run holds it.
  // `retries_only`: only certificates whose last renewal failed and whose
  // back-off has passed (the lifecycle job runs these between schedules).
  Result<RenewalRun> run_due(const std::string& tenant_id, const std::string& principal, bool retries_only = false);

  // What a renew request's final failure writes, in the transaction that
  // records it: the claim released, the attempt counted, the back-off set.
  DeferredWrite release_failed_claim(const RequestRecord& q) const;

  // Releases claims whose request vanished (a crash between claim and save).
  void release_orphaned_claims();

  // What a run would renew now (at most renewal.batch, soonest to expire
  // first), without renewing: the scheduler's own query, profile by profile.
  struct Due {
    std::string id, tenant_id;
  };
  Result<std::vector<Due>> due(const std::string& tenant_id, bool retries_only = false);

 private:
  void renew_one(const Due& due, const std::string& principal, RenewalRun& run);
  std::chrono::milliseconds backoff(int failed_attempts, TimePoint not_after) const;

  Database& db_;
  Runner& runner_;
  const Config& config_;
  const TenantProfiles& tenant_profiles_;
  signet::Logger& log_;
  std::string host_id_;
};

// The runner's final-failure writes (Runner::on_final_failure): the failed
// event for the pipeline's notifiers, and a renewal's claim released.
Runner::FailureWrites final_failure_writes(Renewals& renewals);

}  // namespace signet::host
