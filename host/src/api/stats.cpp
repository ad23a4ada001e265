// GET /v1/stats: the overview's numbers, and GET /v1/stats/timeline: what
// expires per week. Both read maintained counts and index ranges
// (db/certificate_counts.hpp), never the whole inventory, so they answer
// as fast at a million certificates as at ten (docs/BENCHMARKS.md).
#include "api/api.hpp"
#include "api/stats.hpp"
#include "api/views.hpp"
#include "auth/tokens.hpp"
#include "db/certificate_counts.hpp"
#include "db/requests.hpp"
#include "db/tenants.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

using Scope = TenantScope;

json certificate_numbers(const std::vector<CertificateCount>& counts, const TimelyCounts& t) {
  long long active = 0, replaced = 0, revoked = 0, expired_unreplaced = 0, total = 0;
  std::map<std::string, json> by_ca;
  for (const auto& c : counts) {
    total += c.count;
    json& ca = by_ca.try_emplace(c.ca, json{{"ca", c.ca}, {"active", 0}, {"revoked", 0}, {"expired", 0}}).first->second;
    if (c.status == "active") {
      active += c.count;
      if (c.replaced) replaced += c.count;
      ca["active"] = ca["active"].get<long long>() + c.count;
    } else if (c.status == "revoked") {
      revoked += c.count;
      ca["revoked"] = ca["revoked"].get<long long>() + c.count;
    } else if (c.status == "expired") {
      if (!c.replaced) expired_unreplaced += c.count;
      ca["expired"] = ca["expired"].get<long long>() + c.count;
    }
  }
  json cas = json::array();
  for (auto& [name, ca] : by_ca) cas.push_back(std::move(ca));
  // Past not_after but not yet marked by the lifecycle job: expired already.
  return {{"total", total},
          {"active", active - t.overdue_all},
          {"superseded", replaced - t.overdue_replaced},
          {"expiring_7d", t.expiring_7d},
          {"expiring_30d", t.expiring_30d},
          {"expired_not_replaced", expired_unreplaced + t.overdue},
          {"revoked", revoked},
          {"revoked_24h", t.revoked_24h},
          {"by_ca", std::move(cas)}};
}

}  // namespace

std::variant<TenantScope, HostError> tenant_scope(const RequestContext& c, const ApiDependencies& deps) {
  const std::string named = c.query_value("tenant");
  Scope scope;
  if (named == "*") {
    if (!c.principal->has_role(kSuperAdminRole)) return HostError{"not_found", "no tenant *"};
    auto tenants = list_tenants(deps.db);
    if (!tenants) return host_error(tenants.error());
    for (const auto& t : tenants.value()) {
      scope.ids.push_back(t.id);
      scope.slugs[t.id] = t.slug;
    }
    return scope;
  }
  auto id = acting_tenant(c, deps.db, named);
  if (!id) return host_error(id.error());
  scope.ids.push_back(id.value());
  scope.slugs[id.value()] = named.empty() ? c.principal->tenant : named;
  return scope;
}

std::variant<nlohmann::json, HostError> overview_numbers(const ApiDependencies& deps, const TenantScope& s, TimePoint now) {
  auto counts = certificate_counts(deps.db, s.ids);
  if (!counts) return host_error(counts.error());
  auto timely = timely_counts(deps.db, s.ids, now);
  if (!timely) return host_error(timely.error());
  auto requests = request_counts(deps.db, s.ids, now - std::chrono::hours(24));
  if (!requests) return host_error(requests.error());
  const RequestCounts& r = requests.value();
  json tenants = json::array();
  for (const auto& id : s.ids) tenants.push_back(s.slugs.at(id));
  return json{{"generated_at", to_rfc3339(now)},
              {"tenants", std::move(tenants)},
              {"certificates", certificate_numbers(counts.value(), timely.value())},
              {"requests", {{"pending", r.pending}, {"running", r.running}, {"waiting", r.waiting},
                            {"pending_approval", r.pending_approval}, {"failed_24h", r.failed_recently}}},
              {"renewals", {{"failing", timely->renewals_failing}}}};
}

namespace {

// A service's own credentials see its certificates, not the tenant's totals.
std::variant<Scope, HostError> scope_of(const RequestContext& c, const ApiDependencies& deps) {
  if (c.access == Access::own) return HostError{"permission_denied", "the numbers cover the whole tenant; this caller sees its own service only"};
  return tenant_scope(c, deps);
}

HttpResponseMessage stats(RequestContext& context, const ApiDependencies& deps) {
  auto scope = scope_of(context, deps);
  if (const auto* e = std::get_if<HostError>(&scope)) return error_response(*e, context.request_id);
  auto numbers = overview_numbers(deps, std::get<Scope>(scope), Clock::now());
  if (const auto* e = std::get_if<HostError>(&numbers)) return error_response(*e, context.request_id);
  return json_response(http::status::ok, std::get<json>(numbers));
}

HttpResponseMessage timeline(RequestContext& context, const ApiDependencies& deps) {
  auto scope = scope_of(context, deps);
  if (const auto* e = std::get_if<HostError>(&scope)) return error_response(*e, context.request_id);
  const Scope& s = std::get<Scope>(scope);
  const std::string by = context.query_value("by").empty() ? "ca" : context.query_value("by");
  if (by != "ca" && by != "tenant") return error_response({"invalid_request", "by must be ca or tenant"}, context.request_id);
  int weeks = 26;
  if (const std::string w = context.query_value("weeks"); !w.empty()) {
    if (w.size() > 3 || w.find_first_not_of("0123456789") != std::string::npos || std::stoi(w) < 1 || std::stoi(w) > 104)
      return error_response({"invalid_request", "weeks must be a whole number from 1 to 104"}, context.request_id);
    weeks = std::stoi(w);
  }
  const TimePoint now = Clock::now();
  auto rows = expiry_weeks(deps.db, s.ids, now, now + std::chrono::hours(24 * 7) * weeks);
  if (!rows) return error_response(host_error(rows.error()), context.request_id);
  // One entry per week, even an empty one, so a chart needs no gap-filling.
  const long long first = to_unix_ms(now) / kWeekMs;
  json out = json::array();
  for (int i = 0; i < weeks; ++i)
    out.push_back({{"week_start", to_rfc3339(from_unix_ms((first + i) * kWeekMs))}, {"total", 0}, {"by", json::object()}});
  for (const auto& row : rows.value()) {
    const long long index = to_unix_ms(row.week_start) / kWeekMs - first;
    if (index < 0 || index >= weeks) continue;
    json& week = out[static_cast<std::size_t>(index)];
    const std::string key = by == "ca" ? row.ca : s.slugs.at(row.tenant_id);
    week["total"] = week["total"].get<long long>() + row.count;
    week["by"][key] = week["by"].value(key, 0LL) + row.count;
  }
  return json_response(http::status::ok, {{"by", by}, {"weeks", std::move(out)}});
}

}  // namespace

void add_stats_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/stats", [deps](RequestContext& c) { return stats(c, deps); }, {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/stats/timeline", [deps](RequestContext& c) { return timeline(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
