#include "pipeline/outcome_metrics.hpp"

#include <algorithm>

#include "db/tenants.hpp"
#include "pipeline/issue_request.hpp"

namespace signet::host {

OutcomeMetrics::OutcomeMetrics(Database& db, signet::Metrics& metrics, std::map<std::string, std::string> key_backends)
    : db_(db), metrics_(metrics), key_backends_(std::move(key_backends)) {
  auto tenants = list_tenants(db_);
  if (!tenants) return;
  for (const auto& t : tenants.value()) {
    slugs_[t.id] = t.slug;
    renewal_attempt(t.slug, true, 0);
    renewal_attempt(t.slug, false, 0);
  }
}

void OutcomeMetrics::renewal_attempt(const std::string& tenant_slug, bool succeeded, double n) {
  metrics_.counter_add("signet_renewal_attempts_total", "Renewal requests that ended, by result",
                       {{"tenant", tenant_slug}, {"result", succeeded ? "succeeded" : "failed"}}, n);
}

std::string OutcomeMetrics::tenant_slug(const std::string& tenant_id) {
  {
    std::lock_guard lock(mutex_);
    if (const auto found = slugs_.find(tenant_id); found != slugs_.end()) return found->second;
  }
  auto tenants = list_tenants(db_);
  if (!tenants) return "unknown";
  std::lock_guard lock(mutex_);
  for (const auto& t : tenants.value()) slugs_[t.id] = t.slug;
  const auto found = slugs_.find(tenant_id);
  return found == slugs_.end() ? "unknown" : found->second;
}

void OutcomeMetrics::finished(const RequestRecord& q) {
  const std::string tenant = tenant_slug(q.tenant_id);
  const bool ok = q.status == RequestStatus::succeeded;
  if (q.operation == "renew") renewal_attempt(tenant, ok, 1);
  if (!ok) return;
  if (q.operation == "issue" || q.operation == "renew") {
    const IssueRequest in = issue_request_from(q.input);
    const signet::Labels labels = {{"tenant", tenant}, {"ca", q.state.ca}, {"profile", in.profile}};
    if (q.operation == "issue") metrics_.counter_add("signet_certificates_issued_total", "Certificates issued (renewals not included)", labels, 1);
    else metrics_.counter_add("signet_certificates_renewed_total", "Certificates issued as renewals", labels, 1);
  } else if (q.operation == "revoke") {
    const double n = static_cast<double>(std::max<std::size_t>(1, q.input.value("targets", nlohmann::json::array()).size()));
    metrics_.counter_add("signet_certificates_revoked_total", "Certificates revoked, by RFC 5280 reason",
                         {{"tenant", tenant}, {"reason", q.input.value("reason", "unspecified")}}, n);
  }
}

void OutcomeMetrics::signed_by(const std::string& ca, double seconds) {
  const auto backend = key_backends_.find(ca);
  metrics_.histogram_observe("signet_signing_seconds", "Time a CA took to sign a certificate, by CA and key backend",
                             {{"ca", ca}, {"keys", backend == key_backends_.end() ? "none" : backend->second}}, seconds);
}

}  // namespace signet::host
