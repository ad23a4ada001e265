// POST /v1/reload: the configuration file read again and applied while the
// host runs, as SIGHUP does (docs/operations.md, "Reloading"); `signet
// reload` calls it. The answer says what changed, or, with 422
// reload_refused, every problem (the running configuration stays).
#include "api/api.hpp"

namespace signet::host {
namespace {

HttpResponseMessage reload(RequestContext& c, const ApiDependencies& deps) {
  if (!deps.reload) return error_response({"not_configured", "this host cannot reload its configuration"}, c.request_id);
  const Principal& p = *c.principal;
  const ReloadOutcome outcome = deps.reload({p.tenant_id, p.id, p.auth, c.remote, c.request_id});
  if (!outcome.applied) {
    std::string message = "the configuration was not reloaded; the running one stays:";
    for (const auto& problem : outcome.problems) message += "\n" + problem;
    return error_response({"reload_refused", message}, c.request_id);
  }
  return json_response(http::status::ok, {{"applied", true}, {"changed", outcome.changed}});
}

}  // namespace

void add_reload_route(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/reload", [deps](RequestContext& c) { return reload(c, deps); },
             {.permission = "host:reload"});
}

}  // namespace signet::host
