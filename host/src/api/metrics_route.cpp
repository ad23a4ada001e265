// GET /metrics: the Prometheus text format (0.0.4). Counters and histograms
// are recorded as things happen; the inventory's gauges are read at scrape
// time from the maintained counts and short index ranges
// (db/certificate_counts.hpp), so a scrape costs the same at ten
// certificates as at ten million. Labels are tenants, CAs, states and
// reasons: never a serial or a name (docs/dashboard.md "Metrics").
#include <signet/version.hpp>

#include "api/api.hpp"
#include "db/certificate_counts.hpp"
#include "db/requests.hpp"
#include "db/tenants.hpp"
#include "pki/certificate_info.hpp"

namespace signet::host {
namespace {

double seconds_of(TimePoint t) { return static_cast<double>(to_unix_ms(t)) / 1000.0; }

void certificate_gauges(const ApiDependencies& deps, const std::vector<Tenant>& tenants, TimePoint now) {
  std::vector<std::string> ids;
  std::map<std::string, std::string> slug;
  for (const auto& t : tenants) {
    ids.push_back(t.id);
    slug[t.id] = t.slug;
  }
  if (auto counts = certificate_counts(deps.db, ids)) {
    std::map<std::vector<std::string>, double> states;  // {tenant, ca, state}
    for (const auto& c : counts.value()) {
      const std::string state = c.status == "active" && c.replaced ? "superseded" : c.status;
      states[{slug[c.tenant_id], c.ca, state}] += static_cast<double>(c.count);
    }
    for (const auto& [key, n] : states)
      deps.metrics.gauge_set("signet_certificates", "Certificates by tenant, CA and state (active counts until marked expired)",
                             {{"tenant", key[0]}, {"ca", key[1]}, {"state", key[2]}}, n);
  }
  for (const auto& t : tenants) {
    auto timely = timely_counts(deps.db, {t.id}, now, true);
    if (!timely) continue;
    for (const auto& [within, n] : {std::pair{"7d", timely->expiring_7d}, {"30d", timely->expiring_30d}, {"90d", timely->expiring_90d}})
      deps.metrics.gauge_set("signet_certificates_expiring", "Active certificates no renewal replaced yet that expire within the window",
                             {{"tenant", t.slug}, {"within", within}}, static_cast<double>(n));
    deps.metrics.gauge_set("signet_certificates_expired_unreplaced", "Certificates past not_after that no renewal replaced",
                           {{"tenant", t.slug}}, static_cast<double>(timely->overdue));
    deps.metrics.gauge_set("signet_renewals_failing", "Active certificates whose automatic renewal is failing",
                           {{"tenant", t.slug}}, static_cast<double>(timely->renewals_failing));
    auto requests = request_counts(deps.db, {t.id}, now);
    if (!requests) continue;
    for (const auto& [status, n] : {std::pair{"pending", requests->pending}, {"running", requests->running},
                                    {"waiting", requests->waiting}, {"pending_approval", requests->pending_approval}}) {
      const signet::Labels labels = {{"tenant", t.slug}, {"status", status}};
      deps.metrics.gauge_set("signet_requests_open", "Requests not finished yet, by status", labels, static_cast<double>(n));
      // An age rather than a count: a busy host always has some open, a stuck one has an old one.
      const auto oldest = requests->oldest.find(status);
      const double age = oldest == requests->oldest.end() ? 0 : std::max(0.0, seconds_of(now) - seconds_of(oldest->second));
      deps.metrics.gauge_set("signet_requests_oldest_age_seconds", "Age of the oldest request still in this status (0: none)",
                             labels, age);
    }
  }
}

// Each CA's own certificate: when it ends is the one date nobody may miss.
void ca_gauges(const ApiDependencies& deps) {
  for (const auto& instance : deps.instances.all()) {
    if (instance.kind != PluginKind::ca) continue;
    auto chain = deps.instances.ca(instance.name)->chain();
    if (!chain || chain->empty()) continue;
    if (auto info = read_certificate(chain->front()))
      deps.metrics.gauge_set("signet_ca_certificate_not_after_timestamp_seconds", "When each CA's own certificate expires (Unix time)",
                             {{"ca", instance.name}}, seconds_of(info->not_after));
  }
}

void crl_gauges(const ApiDependencies& deps, const CrlPublisher& crls) {
  for (const auto& crl : crls.published()) {
    const signet::Labels labels = {{"ca", crl.scope.ca}, {"shard", std::to_string(crl.scope.shard)}, {"kind", crl.delta ? "delta" : "full"}};
    deps.metrics.gauge_set("signet_crl_next_update_timestamp_seconds", "nextUpdate of each published CRL (Unix time)", labels,
                           seconds_of(crl.next_update));
    deps.metrics.gauge_set("signet_crl_bytes", "Size of each published CRL (DER)", labels, static_cast<double>(crl.bytes));
  }
}

}  // namespace

void add_metrics_route(Router& router, ApiDependencies deps, const CrlPublisher& crls) {
  router.add(http::verb::get, "/metrics", [deps, &crls](RequestContext&) {
    const TimePoint now = Clock::now();
    if (auto tenants = list_tenants(deps.db)) certificate_gauges(deps, tenants.value(), now);
    ca_gauges(deps);
    crl_gauges(deps, crls);
    deps.metrics.gauge_set("signet_build_info", "The host's version and SDK", {{"version", "0.1.0"},
                           {"sdk", std::to_string(SIGNET_SDK_MAJOR) + "." + std::to_string(SIGNET_SDK_MINOR)}}, 1);
    return text_response(http::status::ok, deps.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  }, {.permission = {}, .open = true});
}

}  // namespace signet::host
