// POST /v1/renewals/run: every due renewal now (what the scheduler does at
// renewal.schedule). A super admin without ?tenant= runs it for every tenant.
#include "api/api.hpp"
#include "api/idempotency.hpp"
#include "auth/tokens.hpp"

namespace signet::host {
namespace {

HttpResponseMessage run(RequestContext& context, const ApiDependencies& deps) {
  std::string tenant;
  const bool everyone = context.principal->has_role(kSuperAdminRole) && context.query_value("tenant").empty();
  if (!everyone) {
    auto acting = acting_tenant(context, deps.db);
    if (!acting) return error_response(host_error(acting.error()), context.request_id);
    tenant = acting.value();
  }
  auto ran = deps.renewals.run_due(tenant, context.principal->id);
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
}

}  // namespace signet::host
