#include "api/api.hpp"
#include "api/views.hpp"

namespace signet::host {

void add_request_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/requests/{id}", [deps](RequestContext& context) {
    auto tenant = acting_tenant(context, deps.db);
    if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
    RequestRepo repo(deps.db);
    auto found = repo.load(context.param("id"));
    if (!found) return error_response(host_error(found.error()), context.request_id);
    // Another tenant's (or for `_own` access, another service's) request answers 404 like a missing one.
    if (!found.value() || found.value()->tenant_id != tenant.value() ||
        (context.access == Access::own && found.value()->input.value("service", "") != context.principal->service))
      return error_response({"not_found", "no request " + context.param("id")}, context.request_id);
    return json_response(http::status::ok, request_view(*found.value()));
  }, {.permission = "cert:read"});
}

}  // namespace signet::host
