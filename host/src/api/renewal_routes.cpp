// POST /v1/renewals/run: every due renewal now (what the scheduler does at
// renewal.schedule). A super admin without ?tenant= runs it for every tenant.
// GET /v1/renewals/due: what such a run would renew, without renewing.
#include "api/api.hpp"
#include "api/idempotency.hpp"
#include "auth/tokens.hpp"

namespace signet::host {
namespace {

// The tenant a run covers: "" (every tenant) for a super admin without ?tenant=.
Result<std::string> run_scope(RequestContext& context, const ApiDependencies& deps) {
  if (context.principal->has_role(kSuperAdminRole) && context.query_value("tenant").empty()) return std::string();
  return acting_tenant(context, deps.db);
}

HttpResponseMessage due(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = run_scope(context, deps);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto found = deps.renewals.due(tenant.value());
  if (!found) return error_response(host_error(found.error()), context.request_id);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : found.value()) items.push_back({{"id", d.id}, {"tenant_id", d.tenant_id}});
  return json_response(http::status::ok, {{"items", items}, {"count", items.size()}});
}

HttpResponseMessage run(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = run_scope(context, deps);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto ran = deps.renewals.run_due(tenant.value(), context.principal->id);
  if (!ran) {
    if (ran.error().code == ErrorCode::conflict)
      return error_response({"renewal_running", ran.error().message, ran.error().retry_after}, context.request_id);
    return error_response(host_error(ran.error()), context.request_id);
  }
  return json_response(http::status::ok, ran.value().to_json());
}

}  // namespace

void add_renewal_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/renewals/run", idempotent(deps.db, [deps](RequestContext& c) { return run(c, deps); }),
             {.permission = "renewal:run"});
  router.add(http::verb::get, "/v1/renewals/due", [deps](RequestContext& c) { return due(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
