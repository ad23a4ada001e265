// POST /v1/certificates and POST /v1/certificates/{id}/renew: both become an
// issue-like request that runs through a pipeline.
#include "api/api.hpp"
#include "api/idempotency.hpp"
#include "api/held_keys.hpp"
#include "api/request_bodies.hpp"
#include "api/views.hpp"
#include "lifecycle/renewals.hpp"
#include "pipeline/certificate_request.hpp"
#include "pipeline/policy.hpp"
#include "pipeline/request_start.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// The 201 body; a key made here is handed out once, now.
HttpResponseMessage issued_response(const RequestRecord& done, const ApiDependencies& deps, const std::string& rid) {
  json view = issued_view(done, public_base(deps.config));
  if (!done.state.key_path.empty()) {
    auto key = held_private_key(deps.instances, done.state.key_store, done.state.key_path);
    if (!key) return error_response(host_error(key.error()), rid);
    view["private_key"] = std::move(key).value();
  }
  return json_response(http::status::created, view);
}

// A spiffe:// URI SAN makes a certificate an identity (auth/client_certs.hpp):
// it may name only the tenant and service the certificate belongs to.
std::optional<HostError> check_spiffe_ids(const RequestContext& context, const IssueInput& in, const std::string& service) {
  const std::string named = context.query_value("tenant");
  const std::string own = "spiffe://" + (named.empty() ? context.principal->tenant : named) + "/" + service;
  for (const auto& uri : in.uri)
    if (ascii_lowercase(uri).rfind("spiffe://", 0) == 0 && (service.empty() || uri != own))
      return HostError{"permission_denied", "URI SAN " + uri.substr(0, 200) + " would be the identity of another service; " +
                                               (service.empty() ? "name the certificate's service" : "only " + own + " is allowed")};
  return std::nullopt;
}

// The answer to a request the runner ran: 201, the failure, or 202 while it goes on.
HttpResponseMessage request_outcome(const RequestRecord& done, const ApiDependencies& deps, const std::string& rid) {
  if (done.status == RequestStatus::succeeded) return issued_response(done, deps, rid);
  if (done.status == RequestStatus::failed) return error_response({done.error_code, done.error_message}, rid);
  return json_response(http::status::accepted, pending_view(done, public_base(deps.config)));
}

// The first request made for the same external reference, answered as it
// stands now; a key made for it was handed out with its first answer.
HttpResponseMessage earlier_outcome(const RequestRecord& first, const ApiDependencies& deps, const std::string& rid) {
  HttpResponseMessage response = [&] {
    if (first.status != RequestStatus::succeeded) return request_outcome(first, deps, rid);
    auto row = find_certificate(deps.db, first.tenant_id, first.certificate_id);
    if (!row) return error_response(host_error(row.error()), rid);
    if (!row.value()) return error_response({"not_found", "certificate " + first.certificate_id + " is gone"}, rid);
    json view = issued_view(*row.value(), public_base(deps.config));
    view["request_id"] = first.id;
    if (!first.state.key_path.empty()) view["private_key_delivered"] = true;
    return json_response(http::status::created, view);
  }();
  response.set("Idempotent-Replayed", "true");
  return response;
}

HttpResponseMessage run_request(RequestContext& context, const ApiDependencies& deps, const std::string& tenant,
                                CertificateAsk ask) {
  if (auto e = check_spiffe_ids(context, ask.in, ask.service)) return error_response(*e, context.request_id);
  auto made = make_certificate_request(deps.config, deps.runner, deps.tenant_profiles, "issue", tenant,
                                       context.principal->id, std::move(ask), caller_state(context));
  if (const auto* refused = std::get_if<HostError>(&made)) return error_response(*refused, context.request_id);
  auto started = start_certificate_request({deps.db, deps.runner, deps.config, deps.instances},
                                           std::move(std::get<RequestRecord>(made)), deps.config.runner.sync_wait);
  if (const auto* refused = std::get_if<HostError>(&started)) return error_response(*refused, context.request_id);
  auto& outcome = std::get<StartedRequest>(started);
  // A caller limited to its own service learns nothing of another service's request.
  if (outcome.existing && context.access == Access::own &&
      outcome.request.input.value("service", "") != context.principal->service)
    return error_response({"conflict", "external_ref names a record another service's request answers"}, context.request_id);
  if (outcome.existing) return earlier_outcome(outcome.request, deps, context.request_id);
  return request_outcome(outcome.request, deps, context.request_id);
}

// Whose certificate it is: "service" in the body, or the caller's own. A
// caller with `_own` access may name only its own service.
std::optional<HostError> owner_service(const RequestContext& context, const json& body, std::string& service) {
  const Principal& p = *context.principal;
  if (body.contains("service") && !body.at("service").is_string())
    return HostError{"invalid_request", "service must be a string"};
  service = body.value("service", p.service);
  if (context.access == Access::own && service != p.service)
    return HostError{"permission_denied", "the caller may request certificates for its own service " + p.service + " only"};
  return std::nullopt;
}

HttpResponseMessage issue(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  if (!deps.runner.has_pipeline("issue", tenant.value()))
    return error_response({"not_configured", "no issue pipeline is configured on this host"}, context.request_id);
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded()) return error_response({"invalid_json", "the body is not valid JSON"}, context.request_id);
  CertificateAsk ask;
  if (auto e = read_issue_body(body, ask.in, ask.metadata, ask.csr_text)) return error_response(*e, context.request_id);
  if (auto e = owner_service(context, body, ask.service)) return error_response(*e, context.request_id);
  if (auto e = read_external_ref(body, ask.external_ref)) return error_response(*e, context.request_id);
  return run_request(context, deps, tenant.value(), std::move(ask));
}

HttpResponseMessage renew(RequestContext& context, const ApiDependencies& deps) {
  auto old = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&old)) return error_response(*e, context.request_id);
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
  CertificateAsk a = renewal_ask(row, deps.config);
  if (body.contains("ttl")) {
    const auto ttl = body.at("ttl").is_string() ? parse_duration(body.at("ttl").get<std::string>()) : std::nullopt;
    if (!ttl) return error_response({"invalid_request", "ttl must be a duration such as 720h or 90d"}, context.request_id);
    a.in.ttl = *ttl;
  }
  if (auto e = read_key_source(body, a.in, a.csr_text)) return error_response(*e, context.request_id);
  if (a.in.csr) {
    IssueInput merged = a.in;
    if (const auto profile = deps.config.profile(merged.profile); profile && !check_policy(*profile, merged))
      if (auto e = same_names(row, merged)) return error_response(*e, context.request_id);
  }
  auto outcome = deps.renewals.renew(row, std::move(a), context.principal->id, caller_state(context),
                                     deps.config.runner.sync_wait);
  if (const auto* refused = std::get_if<HostError>(&outcome)) return error_response(*refused, context.request_id);
  return request_outcome(std::get<RequestRecord>(outcome), deps, context.request_id);
}

}  // namespace

void add_certificate_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/certificates",
             idempotent(deps.db, [deps](RequestContext& c) { return issue(c, deps); }, {"private_key"}),
             {.permission = "cert:request"});
  router.add(http::verb::post, "/v1/certificates/{id}/renew",
             idempotent(deps.db, [deps](RequestContext& c) { return renew(c, deps); }, {"private_key"}),
             {.permission = "cert:renew"});
}

}  // namespace signet::host
