// Issue and renew requests as the API and the renewal scheduler make them:
// what was asked for, checked against its profile, turned into the request
// the runner persists and runs. One place, so a scheduled renewal is held
// to the same rules as one a caller asks for.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "db/certificates.hpp"
#include "util/host_error.hpp"
#include "pipeline/policy.hpp"
#include "db/requests.hpp"

namespace signet::host {

class Runner;

struct CertificateAsk {
  IssueInput in;
  std::string csr_text;  // empty: the host makes the key described by `in`
  nlohmann::json metadata = nlohmann::json::object();
  std::string renews;   // renewals: the certificate it replaces
  std::string lineage;  // renewals: the first certificate of the chain
  std::string service;  // the application it belongs to
  nlohmann::json external_ref = nullptr;  // {system, id, number}: the other system's record it answers
};

// Tenants limited to some profiles (tenants.<slug>.profiles), by tenant id.
// A live reload replaces the whole map while requests read it.
class TenantProfiles {
 public:
  using Map = std::map<std::string, std::vector<std::string>>;
  // Whether a request of `tenant_id` may name `profile`: any profile unless limited.
  bool allows(const std::string& tenant_id, const std::string& profile) const;
  void replace(Map limits);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Map> limits_ = std::make_shared<const Map>();
};

// Checks the ask against its profile (and the tenant's profiles) and makes
// the request, not yet submitted. Refusals carry the API's error codes.
std::variant<RequestRecord, HostError> make_certificate_request(const Config& config, const Runner& runner,
                                                               const TenantProfiles& tenant_profiles,
                                                               const std::string& operation, const std::string& tenant,
                                                               const std::string& principal, CertificateAsk ask,
                                                               RequestCaller caller);

// The renewal of `old`: its profile, names, metadata, service, auto-renewal
// and end of use, the same lifetime (within what the profile allows now),
// and a fresh key of the same kind unless the caller sets a CSR or key.
CertificateAsk renewal_ask(const CertificateRow& old, const Config& config);

// A renewal keeps the names: a CSR may repeat them but not add any.
std::optional<HostError> same_names(const CertificateRow& old, const IssueInput& in);

}  // namespace signet::host
