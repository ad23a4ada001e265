// Role login (AppRole): /v1/auth/approles for admins, POST /v1/auth/login
// for services trading role_id + secret_id for a short-lived token.
#include "api/api.hpp"
#include "api/idempotency.hpp"
#include "api/request_bodies.hpp"
#include "auth/approles.hpp"
#include "db/audit.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

json approle_view(const AppRole& r) {
  return {{"role_id", r.id},
          {"name", r.name},
          {"roles", r.roles},
          {"service", r.service.empty() ? json(nullptr) : json(r.service)},
          {"token_ttl", std::to_string(r.token_ttl.count() / 1000) + "s"},
          {"secret_id_ttl", std::to_string(r.secret_id_ttl.count() / 1000) + "s"},
          {"secret_id_num_uses", r.secret_id_uses},
          {"created_at", to_rfc3339(r.created_at)}};
}

// The audit record of an admin's change, written in the change's transaction.
AppRoleStore::Also audited(const RequestContext& context, const std::string& tenant, const std::string& action) {
  return [&context, tenant, action](soci::session& s, const std::string& id) {
    append_audit(s, {tenant, context.principal->id, context.principal->auth, context.remote, action, id, "success",
                     context.request_id, json::object()});
  };
}

HttpResponseMessage create(RequestContext& context, const ApiDependencies& deps) {
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded()) return error_response({"invalid_json", "the body is not valid JSON"}, context.request_id);
  AppRole role;
  if (auto e = read_approle_body(body, deps.roles, context.principal->roles, role)) return error_response(*e, context.request_id);
  if (body.contains("tenant") && !body["tenant"].is_string())
    return error_response({"invalid_request", "tenant must be a tenant's slug or id"}, context.request_id);
  auto tenant = acting_tenant(context, deps.db, body.value("tenant", context.query_value("tenant")));
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  role.tenant_id = tenant.value();
  auto created = AppRoleStore(deps.db).create(role, audited(context, role.tenant_id, "approle.create"));
  if (!created) return error_response(host_error(created.error()), context.request_id);
  return json_response(http::status::created, approle_view(created.value()));
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto roles = AppRoleStore(deps.db).list(tenant.value());
  if (!roles) return error_response(host_error(roles.error()), context.request_id);
  json items = json::array();
  for (const auto& r : roles.value()) items.push_back(approle_view(r));
  return json_response(http::status::ok, {{"items", std::move(items)}});
}

HttpResponseMessage remove(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto removed = AppRoleStore(deps.db).remove(tenant.value(), context.param("id"),
                                              audited(context, tenant.value(), "approle.delete"));
  if (!removed) return error_response(host_error(removed.error()), context.request_id);
  if (!removed.value()) return error_response({"not_found", "no login role " + context.param("id").substr(0, 64)}, context.request_id);
  return HttpResponseMessage{http::status::no_content, 11};
}

HttpResponseMessage secret_id(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto issued = AppRoleStore(deps.db).new_secret_id(tenant.value(), context.param("id"),
                                                    audited(context, tenant.value(), "approle.secret_id"));
  if (!issued) return error_response(host_error(issued.error()), context.request_id);
  return json_response(http::status::created, {{"secret_id_id", issued->id},
                                               {"secret_id", issued->secret_id},  // the only time it is shown
                                               {"expires_at", to_rfc3339(issued->expires_at)}});
}

HttpResponseMessage login(RequestContext& context, const ApiDependencies& deps) {
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.value("role_id", json()).is_string() ||
      !body.value("secret_id", json()).is_string() || body.size() != 2)
    return error_response({"invalid_request", "a login takes role_id and secret_id, both strings"}, context.request_id);
  const std::string role_id = body.at("role_id").get<std::string>().substr(0, 64);
  auto audit = [&](soci::session& s, const std::optional<AppRole>& role, const std::string& outcome, const std::string& why) {
    append_audit(s, {role ? role->tenant_id : "", "approle:" + role_id, "approle", context.remote, "auth.login", role_id,
                     outcome, context.request_id, why.empty() ? json::object() : json{{"reason", why}}});
  };
  auto done = AppRoleStore(deps.db).login(role_id, body.at("secret_id").get<std::string>(), audit);
  if (!done) return error_response(host_error(done.error()), context.request_id);
  return json_response(http::status::ok, {{"token", done->token.token},
                                          {"token_id", done->token.id},
                                          {"expires_at", to_rfc3339(done->expires_at)},
                                          {"roles", done->role.roles},
                                          {"service", done->role.service.empty() ? json(nullptr) : json(done->role.service)}});
}

}  // namespace

void add_approle_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/auth/approles", idempotent(deps.db, [deps](RequestContext& c) { return create(c, deps); }),
             {.permission = "approle:create"});
  router.add(http::verb::get, "/v1/auth/approles", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "approle:read"});
  router.add(http::verb::delete_, "/v1/auth/approles/{id}", [deps](RequestContext& c) { return remove(c, deps); },
             {.permission = "approle:delete"});
  router.add(http::verb::post, "/v1/auth/approles/{id}/secret-id", [deps](RequestContext& c) { return secret_id(c, deps); },
             {.permission = "approle:create"});
  // Open: the secret_id is the credential. Every attempt is audited.
  router.add(http::verb::post, "/v1/auth/login", [deps](RequestContext& c) { return login(c, deps); },
             {.permission = "auth:login", .open = true, .inline_ = false, .limit_source = true});
}

}  // namespace signet::host
