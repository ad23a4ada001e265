// GET /v1/audit: a tenant's audit records, oldest first, for auditors.
#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "auth/tokens.hpp"
#include "db/audit.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

std::optional<HostError> read_audit_filter(const RequestContext& c, AuditFilter& f) {
  for (auto [name, time] : {std::pair{"since", &f.since}, {"until", &f.until}})
    if (const std::string t = c.query_value(name); !t.empty()) {
      *time = parse_rfc3339(t);
      if (!*time) return HostError{"invalid_request", std::string(name) + " must be an RFC 3339 time"};
    }
  f.action = c.query_value("action");
  f.principal = c.query_value("principal");
  f.outcome = c.query_value("outcome");
  f.object = c.query_value("object");
  f.request_id = c.query_value("request_id");
  if (const std::string cursor = c.query_value("cursor"); !cursor.empty()) {
    if (cursor.size() > 18 || cursor.find_first_not_of("0123456789") != std::string::npos)
      return HostError{"invalid_request", "the cursor is not one this API gave out"};
    f.after_seq = std::stoll(cursor);
  }
  return read_limit(c.query_value("limit"), f.limit);
}

// Refusals of callers no tenant could be told from (no token, a bad one,
// a probe for routes) belong to the host; a super admin names them with
// ?tenant=_none (no slug has an underscore).
constexpr const char* kNoTenant = "_none";

Result<std::string> audit_tenant(const RequestContext& context, Database& db) {
  if (context.query_value("tenant") != kNoTenant) return acting_tenant(context, db);
  if (!context.principal->has_role(kSuperAdminRole))
    return make_error(ErrorCode::not_found, std::string("no tenant ") + kNoTenant);
  return std::string();
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = audit_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  AuditFilter filter;
  if (auto bad = read_audit_filter(context, filter)) return error_response(*bad, context.request_id);
  auto page = list_audit(deps.db, tenant.value(), filter);
  if (!page) return error_response(host_error(page.error()), context.request_id);
  json items = json::array();
  for (const auto& r : page.value().items) items.push_back(audit_json(r));
  const auto& next = page.value().next_after;
  return json_response(http::status::ok,
                       {{"items", std::move(items)}, {"next_cursor", next ? json(std::to_string(*next)) : json(nullptr)}});
}

}  // namespace

void add_audit_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/audit", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "audit:read"});
}

}  // namespace signet::host
