#include "api/api.hpp"

namespace signet::host {

void add_operations_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/health", [](RequestContext&) {
    return json_response(http::status::ok, {{"status", "ok"}});
  }, {.permission = {}, .open = true, .inline_ = true});

  router.add(http::verb::get, "/ready", [deps](RequestContext&) {
    nlohmann::json checks = nlohmann::json::object();
    bool ready = true;
    // Unauthenticated callers learn which check fails, not why: the reason
    // (hosts, paths, driver messages) goes to the log.
    auto record = [&](const std::string& name, const Result<void>& outcome) {
      checks[name] = outcome ? "ok" : "failing";
      if (!outcome) deps.log.warn("readiness check failed", {{"check", name}, {"error", outcome.error().message}});
      ready = ready && outcome.ok();
    };
    record("database", deps.db.ping());
    for (const auto& instance : deps.instances.all()) record("plugin:" + instance.name, instance.object->health());
    return json_response(ready ? http::status::ok : http::status::service_unavailable,
                         {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  }, {.permission = {}, .open = true});
}

}  // namespace signet::host
