#include "api/api.hpp"

namespace signet::host {

void add_operations_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/health", [](RequestContext&) {
    return json_response(http::status::ok, {{"status", "ok"}});
  }, {.open = true, .inline_ = true});

  router.add(http::verb::get, "/ready", [deps](RequestContext&) {
    nlohmann::json checks = nlohmann::json::object();
    bool ready = true;
    auto db = deps.db.ping();
    checks["database"] = db ? "ok" : db.error().message;
    ready = ready && db.ok();
    for (const auto& instance : deps.instances.all()) {
      auto health = instance.object->health();
      checks["plugin:" + instance.name] = health ? "ok" : health.error().message;
      ready = ready && health.ok();
    }
    return json_response(ready ? http::status::ok : http::status::service_unavailable,
                         {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  }, {.open = true});

  router.add(http::verb::get, "/metrics", [deps](RequestContext&) {
    return text_response(http::status::ok, deps.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  }, {.open = true});
}

}  // namespace signet::host
