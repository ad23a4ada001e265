#include "leaf.hpp"

#include <algorithm>

#include <pkix/der.hpp>

namespace signet::ca_internal {
namespace {

using namespace signet::pkix;

// Key usages a key of this type can have (RFC 5280 §4.2.1.3, RFC 8410 §5):
// an ECDSA key cannot encipher keys, an RSA key cannot agree on one.
bool usage_fits_key(const std::string& usage, const std::string& key_type) {
  if (usage == "digital_signature" || usage == "content_commitment" || usage == "non_repudiation") return true;
  if (key_type == "rsa") return usage == "key_encipherment" || usage == "data_encipherment";
  if (key_type == "ecdsa") return usage == "key_agreement";
  return false;
}

// The profile lists usages for every key type it admits; a certificate gets
// those its key can have. Certificate signing is never a leaf's.
std::vector<std::string> leaf_key_usage(const std::vector<std::string>& profile, const std::string& key_type) {
  std::vector<std::string> out;
  for (const auto& usage : profile)
    if (usage_fits_key(usage, key_type)) out.push_back(usage);
  if (out.empty()) out.push_back("digital_signature");
  return out;
}

Result<TimePoint> not_after_for(const CaConfig& c, const Issuer& issuer, const SignRequest& r, TimePoint now) {
  std::chrono::seconds ttl = r.ttl;
  if (r.policy.max_ttl.count() > 0 && ttl > r.policy.max_ttl)
    return make_error(ErrorCode::rejected, "ttl is above the profile's maximum");
  if (ttl.count() <= 0) return make_error(ErrorCode::rejected, "ttl must be positive");
  const TimePoint wanted = now + ttl;
  const TimePoint limit = time_point_of(X509_get0_notAfter(issuer.certificate.get()));
  if (wanted <= limit) return wanted;
  // RFC 5280 §6.1.3 would accept it, but a leaf outliving its issuer
  // breaks for relying parties that check validity nesting.
  if (!c.truncate_to_issuer) return make_error(ErrorCode::rejected, "ttl reaches past the issuing CA's notAfter");
  return limit;
}

}  // namespace

Result<LeafPlan> plan_leaf(const CaConfig& c, const Issuer& issuer, const SignRequest& r, const CsrInfo& csr,
                           TimePoint now) {
  auto not_after = not_after_for(c, issuer, r, now);
  if (!not_after) return std::move(not_after).error();
  LeafPlan plan;
  plan.basics.common_name = r.common_name;
  // Backdated for clock skew, but never before the issuer's own notBefore.
  plan.basics.not_before = std::max(now - c.backdate, time_point_of(X509_get0_notBefore(issuer.certificate.get())));
  plan.basics.not_after = not_after.value();
  plan.basics.public_key_der = csr.public_key_der;
  plan.basics.algorithm = issuer.algorithm;
  plan.sans = r.sans;
  plan.key_type = csr.key_type;
  plan.key_usage = leaf_key_usage(r.policy.key_usage, csr.key_type);
  plan.extended_key_usage = r.policy.extended_key_usage;
  if (r.common_name.empty() && r.sans.dns.empty() && r.sans.ip.empty() && r.sans.email.empty() && r.sans.uri.empty())
    return make_error(ErrorCode::rejected, "the certificate would name nothing: no common name and no SAN");
  return plan;
}

Result<X509Ptr> build_leaf(const LeafPlan& plan, const Issuer& issuer, const Extensions& urls) {
  auto tbs = new_tbs(plan.basics, issuer.certificate.get());
  if (!tbs) return tbs;
  X509* t = tbs.value().get();
  // RFC 5280 §4.2.1.6: with an empty subject the SAN is critical.
  const bool built = add_basic_constraints(t, false, -1) && add_key_usage(t, plan.key_usage) &&
                     add_extended_key_usage(t, plan.extended_key_usage) &&
                     add_subject_alt_names(t, plan.sans, plan.basics.common_name.empty()) && add_subject_key_id(t) &&
                     add_authority_key_id(t, issuer.certificate.get()) && add_all(t, urls);
  if (!built) return make_error(ErrorCode::internal, "cannot build the certificate: " + openssl_error());
  return tbs;
}

}  // namespace signet::ca_internal
