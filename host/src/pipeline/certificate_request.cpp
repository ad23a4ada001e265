#include "pipeline/certificate_request.hpp"

#include <algorithm>

#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

#include "pipeline/issue_request.hpp"
#include "pipeline/runner.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

IssueRequest persisted_input(const CertificateAsk& a, const ProfileConfig& profile) {
  const IssueInput& in = a.in;
  IssueRequest r{in.profile, in.common_name, in.dns, in.ip, in.email, in.uri, in.ttl, profile.max_ttl, a.csr_text,
                 {}, 0, {}, profile.key_usage, profile.extended_key_usage, a.metadata, a.renews, a.service,
                 in.auto_renew.value_or(profile.auto_renew), in.not_after_use, a.external_ref, a.lineage};
  if (a.csr_text.empty()) {
    r.key_type = in.key_type;
    r.key_bits = in.key_bits;
    r.key_curve = in.key_curve;
  }
  return r;
}

std::vector<std::string> strings_of(const json& sans, const char* kind) {
  return sans.value(kind, json::array()).get<std::vector<std::string>>();
}

// Without a CSR or key spec, the new key is of the old certificate's kind.
void same_key_kind(const CertificateRow& old, IssueInput& in) {
  auto cert = pkix::read_certificate_pem(old.certificate_pem);
  if (!cert) return;
  const EVP_PKEY* key = X509_get0_pubkey(cert.value().get());
  if (!key) return;
  in.key_type = pkix::key_type_name(key);
  if (in.key_type == "rsa" && in.key_bits == 0) in.key_bits = EVP_PKEY_get_bits(key);
  if (in.key_type == "ecdsa" && in.key_curve.empty()) in.key_curve = pkix::curve_of(key);
}

}  // namespace

bool TenantProfiles::allows(const std::string& tenant_id, const std::string& profile) const {
  std::shared_ptr<const Map> limits;
  {
    const std::lock_guard lock(mutex_);
    limits = limits_;
  }
  const auto limited = limits->find(tenant_id);
  if (limited == limits->end()) return true;
  return std::find(limited->second.begin(), limited->second.end(), profile) != limited->second.end();
}

void TenantProfiles::replace(Map limits) {
  auto next = std::make_shared<const Map>(std::move(limits));
  const std::lock_guard lock(mutex_);
  limits_ = std::move(next);
}

std::variant<RequestRecord, HostError> make_certificate_request(const Config& config, const Runner& runner,
                                                               const TenantProfiles& tenant_profiles,
                                                               const std::string& operation, const std::string& tenant,
                                                               const std::string& principal, CertificateAsk ask,
                                                               RequestCaller caller) {
  const auto profile = config.profile(ask.in.profile);
  if (!profile || !tenant_profiles.allows(tenant, ask.in.profile))
    return HostError{"unknown_profile", "no profile " + ask.in.profile};
  if (auto rejected = check_policy(*profile, ask.in)) return HostError{rejected->code, rejected->message};
  if (ask.in.not_after_use && *ask.in.not_after_use <= Clock::now())
    return HostError{"invalid_request", "not_after_use " + to_rfc3339(*ask.in.not_after_use) + " has passed"};
  if (ask.csr_text.empty() && !runner.makes_keys(operation, tenant))
    return HostError{"not_configured", "the " + operation + " pipeline has no store to keep a key made here; send a csr"};
  RequestRecord q;
  q.id = new_id("req");
  q.tenant_id = tenant;
  q.operation = operation;
  q.principal = principal;
  q.input = to_json(persisted_input(ask, *profile));
  q.state.certificate_id = new_id("crt");
  q.state.policy_epoch = policy_epoch();
  q.state.caller = std::move(caller);
  return q;
}

CertificateAsk renewal_ask(const CertificateRow& old, const Config& config) {
  CertificateAsk a;
  a.in.profile = old.profile;
  a.in.common_name = old.common_name;
  for (auto [kind, list] : {std::pair{"dns", &a.in.dns}, {"ip", &a.in.ip}, {"email", &a.in.email}, {"uri", &a.in.uri}})
    *list = strings_of(old.sans, kind);
  a.metadata = old.metadata;
  a.renews = old.id;
  a.lineage = old.lineage.empty() ? old.id : old.lineage;
  a.service = old.service;
  a.in.auto_renew = old.auto_renew;
  a.in.not_after_use = old.not_after_use;
  // The same lifetime as before, within what the profile allows now:
  // counted from issuance, as the renewal rule counts it, not from the
  // CA's backdated notBefore (each renewal would add the backdating), and
  // rounded up to whole seconds, which is all notAfter holds.
  a.in.ttl = std::chrono::ceil<std::chrono::seconds>(old.not_after - std::max(old.not_before, old.created_at));
  if (const auto profile = config.profile(old.profile))
    a.in.ttl = std::clamp(a.in.ttl, profile->min_ttl, profile->max_ttl);
  same_key_kind(old, a.in);
  return a;
}

std::optional<HostError> same_names(const CertificateRow& old, const IssueInput& in) {
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  for (auto [kind, now] : {std::pair{"dns", &in.dns}, {"ip", &in.ip}, {"email", &in.email}, {"uri", &in.uri}})
    if (sorted(*now) != sorted(strings_of(old.sans, kind)))
      return HostError{"csr_mismatch", std::string("a renewal keeps the ") + kind + " names of certificate " + old.id};
  return std::nullopt;
}

}  // namespace signet::host
