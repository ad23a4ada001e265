// GET /v1/certificates and GET /v1/certificates/{id}.
#include "api/api.hpp"
#include "api/views.hpp"
#include "api/request_bodies.hpp"
#include "db/certificates.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// Filters come from the query string; a malformed one is refused, never ignored.
std::optional<ApiError> read_filter(const RequestContext& c, CertificateFilter& f) {
  f.status = c.query_value("status");
  if (!f.status.empty() && f.status != "active" && f.status != "revoked" && f.status != "expired")
    return ApiError{"invalid_request", "status must be active, revoked or expired"};
  f.common_name = c.query_value("common_name");
  f.name = c.query_value("san");
  f.profile = c.query_value("profile");
  f.service = c.access == Access::own ? c.principal->service : c.query_value("service");
  f.q = c.query_value("q");
  f.cursor = c.query_value("cursor");
  for (const char* key : {"requester", "business_unit", "ticket"})
    if (const std::string v = c.query_value(key); !v.empty()) f.metadata.emplace_back(key, v);
  if (const std::string t = c.query_value("expiring_before"); !t.empty()) {
    f.expiring_before = parse_rfc3339(t);
    if (!f.expiring_before) return ApiError{"invalid_request", "expiring_before must be an RFC 3339 time"};
  }
  return read_limit(c.query_value("limit"), f.limit);
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(api_error(tenant.error()), context.request_id);
  CertificateFilter filter;
  if (auto bad = read_filter(context, filter)) return error_response(*bad, context.request_id);
  auto page = list_certificates(deps.db, tenant.value(), filter, Clock::now());
  if (!page) {
    if (page.error().code == ErrorCode::invalid_argument)
      return error_response({"invalid_request", page.error().message}, context.request_id);
    return error_response(api_error(page.error()), context.request_id);
  }
  json items = json::array();
  for (const auto& row : page.value().items) items.push_back(certificate_view(row, false));
  const json next = page.value().next_cursor.empty() ? json(nullptr) : json(page.value().next_cursor);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_cursor", next}});
}

HttpResponseMessage get_one(RequestContext& context, const ApiDependencies& deps) {
  auto found = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<ApiError>(&found)) return error_response(*e, context.request_id);
  return json_response(http::status::ok, certificate_view(std::get<CertificateRow>(found), true));
}

}  // namespace

std::variant<CertificateRow, ApiError> certificate_in_tenant(const RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return api_error(tenant.error());
  auto found = find_certificate(deps.db, tenant.value(), context.param("id"));
  if (!found) return api_error(found.error());
  // A certificate of another service is as absent to an `_own` caller.
  if (!found.value() || (context.access == Access::own && found.value()->service != context.principal->service))
    return ApiError{"not_found", "no certificate " + context.param("id")};
  return std::move(*found.value());
}

void add_certificate_read_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/certificates", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/certificates/{id}", [deps](RequestContext& c) { return get_one(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
