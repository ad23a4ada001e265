// GET /v1/certificates, GET /v1/certificates/{id}, and the update channel
// applications poll: GET /v1/certificates/{id}/current and
// GET /v1/certificates/updates.
#include "api/api.hpp"
#include "api/certificate_search.hpp"
#include "api/views.hpp"
#include "api/request_bodies.hpp"
#include "db/certificates.hpp"
#include "db/paging.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  const TimePoint now = Clock::now();
  CertificateSearch search;
  if (auto bad = read_certificate_search(context, deps, search, now)) return error_response(*bad, context.request_id);
  auto tenant = acting_tenant(context, deps.db, search.tenant);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  auto page = list_certificates(deps.db, tenant.value(), search.filter, now);
  if (!page) {
    if (page.error().code == ErrorCode::invalid_argument)
      return error_response({"invalid_request", page.error().message}, context.request_id);
    return error_response(host_error(page.error()), context.request_id);
  }
  json items = json::array();
  for (const auto& row : page.value().items) items.push_back(certificate_view(row, false));
  const json next = page.value().next_cursor.empty() ? json(nullptr) : json(page.value().next_cursor);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_cursor", next}});
}

HttpResponseMessage get_one(RequestContext& context, const ApiDependencies& deps) {
  auto found = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  return json_response(http::status::ok, certificate_view(std::get<CertificateRow>(found), true));
}

// Follows renewed_by to the newest certificate that replaced this one.
HttpResponseMessage current(RequestContext& context, const ApiDependencies& deps) {
  auto found = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  CertificateRow row = std::get<CertificateRow>(std::move(found));
  json replaced = json::array();
  for (int hops = 0; !row.renewed_by.empty() && hops < 10000; ++hops) {
    auto next = find_certificate(deps.db, row.tenant_id, row.renewed_by);
    if (!next) return error_response(host_error(next.error()), context.request_id);
    if (!next.value()) break;
    replaced.push_back(row.id);
    row = std::move(*next.value());
  }
  json view = certificate_view(row, true);
  view["replaces_chain"] = std::move(replaced);  // the requested certificate first
  return json_response(http::status::ok, view);
}

// ?since= an RFC 3339 time or the next_since of the previous answer.
std::optional<HostError> read_since(const std::string& text, long long& ms, std::string& id) {
  if (text.empty()) return HostError{"invalid_request", "since is required: an RFC 3339 time or the next_since of the last answer"};
  if (auto t = parse_rfc3339(text)) {
    ms = to_unix_ms(*t);
    return std::nullopt;
  }
  const auto cursor = decode_cursor(text);
  if (!cursor) return HostError{"invalid_request", "since must be an RFC 3339 time or the next_since of the last answer"};
  std::tie(ms, id) = *cursor;
  return std::nullopt;
}

HttpResponseMessage updates(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  long long since_ms = 0;
  std::string since_id;
  if (auto bad = read_since(context.query_value("since"), since_ms, since_id)) return error_response(*bad, context.request_id);
  int limit = 100;
  if (auto bad = read_limit(context.query_value("limit"), limit)) return error_response(*bad, context.request_id);
  const std::string service = context.access == Access::own ? context.principal->service : context.query_value("service");
  auto page = list_certificate_updates(deps.db, tenant.value(), service, since_ms, since_id, limit);
  if (!page) return error_response(host_error(page.error()), context.request_id);
  json items = json::array();
  for (const auto& row : page.value().items) items.push_back(certificate_view(row, false));
  const std::string next = encode_cursor(page.value().last_ms, page.value().last_id);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_since", next}});
}

}  // namespace

std::variant<CertificateRow, HostError> certificate_in_tenant(const RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return host_error(tenant.error());
  auto found = find_certificate(deps.db, tenant.value(), context.param("id"));
  if (!found) return host_error(found.error());
  // A certificate of another service is as absent to an `_own` caller.
  if (!found.value() || (context.access == Access::own && found.value()->service != context.principal->service))
    return HostError{"not_found", "no certificate " + context.param("id")};
  return std::move(*found.value());
}

void add_certificate_read_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/certificates", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "cert:read"});
  // Before /v1/certificates/{id}: the first matching route wins.
  router.add(http::verb::get, "/v1/certificates/updates", [deps](RequestContext& c) { return updates(c, deps); },
             {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/certificates/{id}", [deps](RequestContext& c) { return get_one(c, deps); },
             {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/certificates/{id}/current", [deps](RequestContext& c) { return current(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
