// POST /v1/certificates and POST /v1/certificates/{id}/renew: both become an
// issue-like request that runs through a pipeline.
#include <algorithm>

#include "api/api.hpp"
#include "api/held_keys.hpp"
#include "api/request_bodies.hpp"
#include "api/views.hpp"
#include "pipeline/issue_request.hpp"
#include "pipeline/policy.hpp"
#include <pkix/csr.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>
#include "util/ids.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// What a request asks for once the API accepted it.
struct Accepted {
  IssueInput in;
  std::string csr_text;
  json metadata = json::object();
  std::string renews;
  std::string service;  // the owning application
};

IssueRequest persisted_input(const Accepted& a, const ProfileConfig& profile) {
  const IssueInput& in = a.in;
  IssueRequest r{in.profile, in.common_name, in.dns, in.ip, in.email, in.uri, in.ttl, profile.max_ttl, a.csr_text,
                 {}, 0, {}, profile.key_usage, profile.extended_key_usage, a.metadata, a.renews, a.service};
  if (a.csr_text.empty()) {
    r.key_type = in.key_type;
    r.key_bits = in.key_bits;
    r.key_curve = in.key_curve;
  }
  return r;
}

// The 201 body; a key made here is handed out once, now.
HttpResponseMessage issued_response(const RequestRecord& done, const ApiDependencies& deps, const std::string& rid) {
  json view = issued_view(done);
  if (done.state.contains("key_path")) {
    auto key = held_private_key(deps.instances, done.state.value("key_store", ""), done.state.value("key_path", ""));
    if (!key) return error_response(api_error(key.error()), rid);
    view["private_key"] = std::move(key).value();
  }
  return json_response(http::status::created, view);
}

// A spiffe:// URI SAN makes a certificate an identity (auth/client_certs.hpp):
// it may name only the tenant and service the certificate belongs to.
std::optional<ApiError> check_spiffe_ids(const RequestContext& context, const IssueInput& in, const std::string& service) {
  const std::string named = context.query_value("tenant");
  const std::string own = "spiffe://" + (named.empty() ? context.principal->tenant : named) + "/" + service;
  for (const auto& uri : in.uri)
    if (ascii_lowercase(uri).rfind("spiffe://", 0) == 0 && (service.empty() || uri != own))
      return ApiError{"permission_denied", "URI SAN " + uri.substr(0, 200) + " would be the identity of another service; " +
                                               (service.empty() ? "name the certificate's service" : "only " + own + " is allowed")};
  return std::nullopt;
}

// A tenant with a list of profiles (tenants.<slug>.profiles) sees no other.
bool profile_allowed(const ApiDependencies& deps, const std::string& tenant_id, const std::string& profile) {
  const auto limited = deps.tenant_profiles.find(tenant_id);
  if (limited == deps.tenant_profiles.end()) return true;
  return std::find(limited->second.begin(), limited->second.end(), profile) != limited->second.end();
}

HttpResponseMessage run_request(RequestContext& context, const ApiDependencies& deps, const std::string& operation,
                                const std::string& tenant, Accepted accepted) {
  const ProfileConfig* profile = deps.config.profile(accepted.in.profile);
  if (!profile || !profile_allowed(deps, tenant, accepted.in.profile))
    return error_response({"unknown_profile", "no profile " + accepted.in.profile}, context.request_id);
  if (auto rejected = check_policy(*profile, accepted.in))
    return error_response({rejected->code, rejected->message}, context.request_id);
  if (auto e = check_spiffe_ids(context, accepted.in, accepted.service)) return error_response(*e, context.request_id);
  if (accepted.csr_text.empty() && !deps.runner.makes_keys(operation, tenant))
    return error_response({"not_configured", "the " + operation +
                                                 " pipeline has no store to keep a key made here; send a csr"},
                          context.request_id);
  RequestRecord q;
  q.id = new_id("req");
  q.tenant_id = tenant;
  q.operation = operation;
  q.principal = context.principal->id;
  q.input = to_json(persisted_input(accepted, *profile));
  q.state = {{"certificate_id", new_id("crt")}, {"policy_epoch", policy_epoch()}, {"caller", caller_state(context)}};
  auto ran = deps.runner.submit(std::move(q), deps.config.runner.sync_wait);
  if (!ran) return error_response(api_error(ran.error()), context.request_id);
  const RequestRecord& done = ran.value();
  if (done.status == RequestStatus::succeeded) return issued_response(done, deps, context.request_id);
  if (done.status == RequestStatus::failed) return error_response({done.error_code, done.error_message}, context.request_id);
  return json_response(http::status::accepted, {{"request_id", done.id}, {"status", "pending"}});
}

// Whose certificate it is: "service" in the body, or the caller's own. A
// caller with `_own` access may name only its own service.
std::optional<ApiError> owner_service(const RequestContext& context, const json& body, std::string& service) {
  const Principal& p = *context.principal;
  if (body.contains("service") && !body.at("service").is_string())
    return ApiError{"invalid_request", "service must be a string"};
  service = body.value("service", p.service);
  if (context.access == Access::own && service != p.service)
    return ApiError{"permission_denied", "the caller may request certificates for its own service " + p.service + " only"};
  return std::nullopt;
}

HttpResponseMessage issue(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(api_error(tenant.error()), context.request_id);
  if (!deps.runner.has_pipeline("issue", tenant.value()))
    return error_response({"not_configured", "no issue pipeline is configured on this host"}, context.request_id);
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded()) return error_response({"invalid_json", "the body is not valid JSON"}, context.request_id);
  Accepted accepted;
  if (auto e = read_issue_body(body, accepted.in, accepted.metadata, accepted.csr_text)) return error_response(*e, context.request_id);
  if (auto e = owner_service(context, body, accepted.service)) return error_response(*e, context.request_id);
  return run_request(context, deps, "issue", tenant.value(), std::move(accepted));
}

std::vector<std::string> strings_of(const json& sans, const char* kind) {
  return sans.value(kind, json::array()).get<std::vector<std::string>>();
}

// A renewal keeps the names: a CSR may repeat them but not add any.
std::optional<ApiError> same_names(const CertificateRow& old, const IssueInput& in) {
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  for (auto [kind, now] : {std::pair{"dns", &in.dns}, {"ip", &in.ip}, {"email", &in.email}, {"uri", &in.uri}})
    if (sorted(*now) != sorted(strings_of(old.sans, kind)))
      return ApiError{"csr_mismatch", std::string("a renewal keeps the ") + kind + " names of certificate " + old.id};
  return std::nullopt;
}

// Without a CSR or key spec, the new key is of the old certificate's kind.
// Fields the request gave are kept.
void same_key_kind(const CertificateRow& old, IssueInput& in) {
  auto cert = pkix::read_certificate_pem(old.certificate_pem);
  if (!cert) return;
  const EVP_PKEY* key = X509_get0_pubkey(cert.value().get());
  if (!key) return;
  in.key_type = pkix::key_type_name(key);
  if (in.key_type == "rsa" && in.key_bits == 0) in.key_bits = EVP_PKEY_get_bits(key);
  if (in.key_type == "ecdsa" && in.key_curve.empty()) in.key_curve = pkix::curve_of(key);
}

HttpResponseMessage renew(RequestContext& context, const ApiDependencies& deps) {
  auto old = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<ApiError>(&old)) return error_response(*e, context.request_id);
  const CertificateRow& row = std::get<CertificateRow>(old);
  if (!deps.runner.has_pipeline("renew", row.tenant_id))
    return error_response({"not_configured", "no renew pipeline is configured on this host"}, context.request_id);
  if (row.status == "revoked")
    return error_response({"conflict", "certificate " + row.id + " is revoked; issue a new one instead"}, context.request_id);
  const std::string text = context.message.body().empty() ? "{}" : context.message.body();
  const json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error_response({"invalid_json", "the body must be a JSON object (or empty)"}, context.request_id);
  for (const auto& [name, value] : body.items())
    if (name != "csr" && name != "key" && name != "ttl")
      return error_response({"invalid_request", "a renewal takes csr, key and ttl only; it keeps the names"}, context.request_id);
  Accepted a;
  a.in.profile = row.profile;
  a.in.common_name = row.common_name;
  for (auto [kind, list] : {std::pair{"dns", &a.in.dns}, {"ip", &a.in.ip}, {"email", &a.in.email}, {"uri", &a.in.uri}})
    *list = strings_of(row.sans, kind);
  a.metadata = row.metadata;
  a.renews = row.id;
  a.service = row.service;
  // The same lifetime as before unless asked otherwise, within what the
  // profile allows now (the CA's backdating made the old one a bit longer).
  a.in.ttl = std::chrono::duration_cast<std::chrono::milliseconds>(row.not_after - row.not_before);
  if (const ProfileConfig* profile = deps.config.profile(row.profile))
    a.in.ttl = std::clamp(a.in.ttl, profile->min_ttl, profile->max_ttl);
  if (body.contains("ttl")) {
    const auto ttl = body.at("ttl").is_string() ? parse_duration(body.at("ttl").get<std::string>()) : std::nullopt;
    if (!ttl) return error_response({"invalid_request", "ttl must be a duration such as 720h or 90d"}, context.request_id);
    a.in.ttl = *ttl;
  }
  if (auto e = read_key_source(body, a.in, a.csr_text)) return error_response(*e, context.request_id);
  if (a.csr_text.empty() && a.in.key_type.empty()) same_key_kind(row, a.in);
  if (a.in.csr) {
    IssueInput merged = a.in;
    if (const ProfileConfig* profile = deps.config.profile(merged.profile); profile && !check_policy(*profile, merged))
      if (auto e = same_names(row, merged)) return error_response(*e, context.request_id);
  }
  return run_request(context, deps, "renew", row.tenant_id, std::move(a));
}

}  // namespace

void add_certificate_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/certificates", [deps](RequestContext& c) { return issue(c, deps); },
             {.permission = "cert:request"});
  router.add(http::verb::post, "/v1/certificates/{id}/renew", [deps](RequestContext& c) { return renew(c, deps); },
             {.permission = "cert:renew"});
}

}  // namespace signet::host
