// POST /v1/tenants and GET /v1/tenants: organizations, managed by super admins.
#include "api/api.hpp"
#include "api/idempotency.hpp"
#include "db/audit.hpp"
#include "db/tenants.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxTenantName = 200;

json tenant_view(const Tenant& t) {
  return {{"id", t.id}, {"slug", t.slug}, {"name", t.name}, {"created_at", to_rfc3339(t.created_at)}};
}

HttpResponseMessage create(RequestContext& context, const ApiDependencies& deps) {
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) return error_response({"invalid_json", "the body must be a JSON object"}, context.request_id);
  for (const auto& [name, value] : body.items())
    if ((name != "slug" && name != "name") || !value.is_string())
      return error_response({"invalid_request", "a tenant takes slug and name, both strings"}, context.request_id);
  const std::string slug = body.value("slug", "");
  const std::string name = body.value("name", slug);
  if (!valid_slug(slug))
    return error_response({"invalid_request", "slug must be 1-63 lower-case letters, digits or inner dashes"}, context.request_id);
  if (name.empty() || name.size() > kMaxTenantName)
    return error_response({"invalid_request", "name must be 1-200 characters"}, context.request_id);
  auto created = create_tenant(deps.db, slug, name, [&](soci::session& s, const Tenant& t) {
    append_audit(s, {t.id, context.principal->id, context.principal->auth, context.remote, "tenant.create", t.id, "success",
                     context.request_id, {{"slug", slug}}});
  });
  if (!created) return error_response(host_error(created.error()), context.request_id);
  return json_response(http::status::created, tenant_view(created.value()));
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenants = list_tenants(deps.db);
  if (!tenants) return error_response(host_error(tenants.error()), context.request_id);
  json items = json::array();
  for (const auto& t : tenants.value()) items.push_back(tenant_view(t));
  return json_response(http::status::ok, {{"items", std::move(items)}});
}

}  // namespace

void add_tenant_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/tenants", idempotent(deps.db, [deps](RequestContext& c) { return create(c, deps); }),
             {.permission = "tenant:create"});
  router.add(http::verb::get, "/v1/tenants", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "tenant:read"});
}

}  // namespace signet::host
