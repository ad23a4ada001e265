// GET /v1/audit: a tenant's audit records, oldest first (or newest first,
// order=desc), for auditors; GET /v1/audit/verify: whether the chain holds.
#include <mutex>

#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "auth/tokens.hpp"
#include "db/audit.hpp"
#include "db/audit_chain.hpp"

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
  const std::string order = c.query_value("order");
  if (!order.empty() && order != "asc" && order != "desc") return HostError{"invalid_request", "order must be asc or desc"};
  f.newest_first = order == "desc";
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

// The last verification of the whole chain, done again when a minute old:
// it reads every record, so a dashboard refreshing must not repeat it.
struct ChainVerdict {
  std::mutex mutex;
  std::optional<ChainReport> report;
  TimePoint at{};
};

HttpResponseMessage verify(RequestContext& context, const ApiDependencies& deps, ChainVerdict& verdict) {
  std::lock_guard lock(verdict.mutex);
  const TimePoint now = Clock::now();
  if (!verdict.report || now - verdict.at > std::chrono::minutes(1)) {
    auto report = verify_audit_chain(deps.db);
    if (!report) return error_response(host_error(report.error()), context.request_id);
    verdict.report = report.value();
    verdict.at = now;
    const double valid = report->broken_seq ? 0 : 1;
    deps.metrics.gauge_set("signet_audit_chain_valid", "1 when the audit log's hash chain verified, 0 when a record broke it", {}, valid);
    deps.metrics.gauge_set("signet_audit_chain_verified_timestamp_seconds", "When the audit chain was last verified (Unix time)", {},
                           static_cast<double>(to_unix_ms(now)) / 1000.0);
  }
  const ChainReport& r = *verdict.report;
  json body = {{"valid", !r.broken_seq}, {"verified_at", to_rfc3339(verdict.at)}};
  // The log is the host's, across tenants: how big it is and where it broke are for super admins.
  if (context.principal->has_role(kSuperAdminRole)) {
    body["records"] = r.records;
    body["first_broken"] = r.broken_seq ? json(*r.broken_seq) : json(nullptr);
    body["problem"] = r.problem.empty() ? json(nullptr) : json(r.problem);
  }
  return json_response(http::status::ok, body);
}

}  // namespace

void add_audit_routes(Router& router, ApiDependencies deps) {
  // Before /v1/audit/{…} routes, were there any: the first match wins.
  auto verdict = std::make_shared<ChainVerdict>();
  router.add(http::verb::get, "/v1/audit/verify", [deps, verdict](RequestContext& c) { return verify(c, deps, *verdict); },
             {.permission = "audit:read"});
  router.add(http::verb::get, "/v1/audit", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "audit:read"});
}

}  // namespace signet::host
