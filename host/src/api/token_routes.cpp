// POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id}: API tokens of a
// tenant. The secret is shown once, in the 201; the host keeps its hash.
#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "auth/tokens.hpp"
#include "db/audit.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

json optional_time(const std::optional<TimePoint>& t) { return t ? json(to_rfc3339(*t)) : json(nullptr); }

json token_view(const TokenInfo& t) {
  return {{"id", t.id},
          {"roles", t.roles},
          {"service", t.service.empty() ? json(nullptr) : json(t.service)},
          {"description", t.description},
          {"allowed_networks", t.networks},
          {"created_at", to_rfc3339(t.created_at)},
          {"expires_at", optional_time(t.expires_at)},
          {"revoked_at", optional_time(t.revoked_at)}};
}

HttpResponseMessage create(RequestContext& context, const ApiDependencies& deps) {
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded()) return error_response({"invalid_json", "the body is not valid JSON"}, context.request_id);
  const Principal& caller = *context.principal;
  TokenSpec spec;
  if (auto e = read_token_body(body, deps.roles, caller.roles, spec)) return error_response(*e, context.request_id);
  auto tenant = acting_tenant(context, deps.db, body.value("tenant", context.query_value("tenant")));
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  spec.tenant_id = tenant.value();
  auto issued = TokenStore(deps.db).issue(spec, [&](soci::session& s, const std::string& id) {
    append_audit(s, {spec.tenant_id, caller.id, caller.auth, context.remote, "token.create", id, "success", context.request_id,
                     {{"roles", spec.roles}, {"service", spec.service}}});
  });
  if (!issued) return error_response(host_error(issued.error()), context.request_id);
  json view = token_view({issued->id, spec.tenant_id, spec.service, spec.description, spec.roles, spec.networks,
                          Clock::now(), spec.expires_at, std::nullopt});
  view["token"] = issued->token;  // the only time it is shown
  return json_response(http::status::created, view);
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  int limit = 100;
  if (auto e = read_limit(context.query_value("limit"), limit)) return error_response(*e, context.request_id);
  auto tokens = TokenStore(deps.db).list(tenant.value(), limit, context.query_value("cursor"));
  if (!tokens) return error_response(host_error(tokens.error()), context.request_id);
  json items = json::array();
  for (const auto& t : tokens.value()) items.push_back(token_view(t));
  const bool full = static_cast<int>(tokens.value().size()) == limit;
  return json_response(http::status::ok,
                       {{"items", std::move(items)}, {"next_cursor", full ? json(tokens.value().back().id) : json(nullptr)}});
}

HttpResponseMessage revoke(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  const std::string id = context.param("id");
  auto revoked = TokenStore(deps.db).revoke(tenant.value(), id, [&](soci::session& s, const std::string&) {
    append_audit(s, {tenant.value(), context.principal->id, context.principal->auth, context.remote, "token.revoke", id,
                     "success", context.request_id, json::object()});
  });
  if (!revoked) return error_response(host_error(revoked.error()), context.request_id);
  if (!revoked.value()) return error_response({"not_found", "no token " + id.substr(0, 64)}, context.request_id);
  HttpResponseMessage response{http::status::no_content, 11};
  return response;
}

}  // namespace

void add_token_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/tokens", [deps](RequestContext& c) { return create(c, deps); },
             {.permission = "token:create"});
  router.add(http::verb::get, "/v1/tokens", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "token:read"});
  router.add(http::verb::delete_, "/v1/tokens/{id}", [deps](RequestContext& c) { return revoke(c, deps); },
             {.permission = "token:revoke"});
}

}  // namespace signet::host
