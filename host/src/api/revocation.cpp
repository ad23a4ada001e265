// POST /v1/certificates/{id}/revoke {"reason": "key_compromise",
// "all_with_same_key": true, "invalidity_date": "2026-01-31T12:00:00Z"}.
#include "api/api.hpp"
#include "db/external_refs.hpp"
#include "api/idempotency.hpp"
#include "api/request_bodies.hpp"
#include "api/views.hpp"
#include "pipeline/revoke_request.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// Every other active, unexpired certificate of the tenant with the same public key.
Result<std::vector<CertificateRow>> same_key_certificates(Database& db, const CertificateRow& row) {
  return certificates_with_key(db, row.tenant_id, row.key_sha256, row.id, Clock::now());
}

HttpResponseMessage revoke(RequestContext& context, const ApiDependencies& deps) {
  RevokeBody body;
  if (auto e = read_revoke_body(context.message.body(), body)) return error_response(*e, context.request_id);
  auto found = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  const CertificateRow& row = std::get<CertificateRow>(found);
  RevokeInput input{{}, body.reason, body.invalidity_date};
  if (row.status != "revoked") {
    auto ref = external_ref_of(deps.db, row.request_id);
    if (!ref) return error_response(host_error(ref.error()), context.request_id);
    nlohmann::json ticket = nullptr;
    if (ref.value()) ticket = {{"system", ref.value()->system}, {"id", ref.value()->id}, {"number", ref.value()->number}};
    input.targets.push_back({row.id, row.ca, row.serial, row.certificate_pem, row.service, ticket, row.key_store, row.key_path});
  }
  if (body.all_with_same_key && !row.key_sha256.empty()) {
    auto others = same_key_certificates(deps.db, row);
    if (!others) return error_response(host_error(others.error()), context.request_id);
    for (const auto& o : others.value()) input.targets.push_back({o.id, o.ca, o.serial, o.certificate_pem, o.service, nullptr, o.key_store, o.key_path});
  }
  // Revoking twice changes nothing: the first time and reason stand.
  if (input.targets.empty()) {
    json view = certificate_view(row, false);
    view["revoked_with_same_key"] = json::array();
    view["not_revoked"] = json::array();
    return json_response(http::status::ok, view);
  }
  RequestRecord q;
  q.id = new_id("req");
  q.tenant_id = row.tenant_id;
  q.operation = "revoke";
  q.principal = context.principal->id;
  q.input = to_json(input);
  q.state.caller = caller_state(context);
  auto ran = deps.runner.submit(std::move(q), deps.config.runner.sync_wait);
  if (!ran) return error_response(host_error(ran.error()), context.request_id);
  const RequestRecord& done = ran.value();
  if (done.status == RequestStatus::failed) return error_response({done.error_code, done.error_message}, context.request_id);
  if (done.status != RequestStatus::succeeded)
    return json_response(http::status::accepted, {{"request_id", done.id}, {"status", "pending"}});
  auto after = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&after)) return error_response(*e, context.request_id);
  json view = certificate_view(std::get<CertificateRow>(after), false);
  json others = json::array();
  for (const auto& id : done.state.revoked)
    if (id != row.id) others.push_back(id);
  view["revoked_with_same_key"] = others;
  // Certificates of the same key whose CA refused: named, with why.
  view["not_revoked"] = to_json(done.state.not_revoked);
  return json_response(http::status::ok, view);
}

}  // namespace

void add_revocation_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/certificates/{id}/revoke",
             idempotent(deps.db, [deps](RequestContext& c) { return revoke(c, deps); }), {.permission = "cert:revoke"});
}

}  // namespace signet::host
