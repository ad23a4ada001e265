// Registers the HTTP API on a router. Each handler checks first and works
// last; every refusal is a HostError.
#pragma once

#include <functional>
#include <variant>

#include "config/config.hpp"
#include "config/reload_plan.hpp"
#include "db/certificates.hpp"
#include "db/database.hpp"
#include "http/router.hpp"
#include "http/status_server.hpp"
#include "lifecycle/renewals.hpp"
#include "lifecycle/scheduler.hpp"
#include "pipeline/runner.hpp"
#include "pki/crl_publisher.hpp"
#include "pki/ocsp_responder.hpp"
#include "plugins/instances.hpp"
#include "rbac/roles.hpp"
#include "secrets/secret_changes.hpp"
#include "services/metrics.hpp"

namespace signet::host {

class OidcSignIn;
class Sessions;

struct ApiDependencies {
  const Config& config;
  Database& db;
  Runner& runner;
  const PluginInstances& instances;
  MetricsRegistry& metrics;
  signet::Logger& log;
  const Roles& roles;
  // Tenants limited to some profiles (tenants.<slug>.profiles), by tenant id.
  const TenantProfiles& tenant_profiles;
  Renewals& renewals;
  SecretChanges& secret_changes;
  // The dashboard's sign-in: null when the dashboard is off (sessions) or
  // no identity provider is configured (oidc).
  Sessions* sessions = nullptr;
  OidcSignIn* oidc = nullptr;
  // POST /v1/reload: the host's live reload (app/host_reload.cpp).
  std::function<ReloadOutcome(const ReloadCaller&)> reload = {};
};

void add_operations_routes(Router& router, ApiDependencies deps);   // /health, /ready
void add_certificate_routes(Router& router, ApiDependencies deps);  // /v1/certificates
void add_certificate_read_routes(Router& router, ApiDependencies deps);  // GET /v1/certificates[/{id}]
void add_search_routes(Router& router, ApiDependencies deps);       // GET /v1/search/parse
void add_certificate_export_routes(Router& router, ApiDependencies deps);  // GET /v1/certificates/export.csv
void add_stats_routes(Router& router, ApiDependencies deps);        // GET /v1/stats[/timeline]
void add_session_routes(Router& router, ApiDependencies deps);      // /v1/session: people's sign-in
void add_ui_routes(Router& router, ApiDependencies deps);           // the dashboard's files at /ui/
void add_live_routes(Router& router, ApiDependencies deps);         // /v1/events[/ws]: live updates
void add_metrics_route(Router& router, ApiDependencies deps, const CrlPublisher& crls);  // GET /metrics
void add_bundle_routes(Router& router, ApiDependencies deps);       // GET /v1/certificates/{id}/bundle
void add_revocation_routes(Router& router, ApiDependencies deps);   // POST /v1/certificates/{id}/revoke
void add_request_routes(Router& router, ApiDependencies deps);      // /v1/requests
void add_reload_route(Router& router, ApiDependencies deps);        // POST /v1/reload
// /pki/... (no authentication), on the HTTPS and the plain-HTTP listener.
struct PkiDependencies {
  const PluginInstances& instances;
  const CrlPublisher& crls;
  OcspResponder& ocsp;
  const RevocationConfig& revocation;
};
void add_pki_routes(Router& router, PkiDependencies deps);
void add_ocsp_routes(Router& router, PkiDependencies deps);  // /pki/{ca}/ocsp (RFC 6960 Appendix A)
// Cached OCSP answers on the revocation listener's I/O threads.
FastPath ocsp_fast_path(const OcspResponder& responder);
void add_tenant_routes(Router& router, ApiDependencies deps);       // /v1/tenants
void add_token_routes(Router& router, ApiDependencies deps);        // /v1/tokens
void add_audit_routes(Router& router, ApiDependencies deps);        // GET /v1/audit
void add_approle_routes(Router& router, ApiDependencies deps);      // /v1/auth/approles, POST /v1/auth/login
void add_renewal_routes(Router& router, ApiDependencies deps);      // POST /v1/renewals/run
void add_notification_routes(Router& router, ApiDependencies deps);  // GET /v1/notifications
void add_secret_routes(Router& router, ApiDependencies deps);       // /v1/secrets
// Every route of the HTTPS listener but the test clock's, in one place.
void add_api_routes(Router& router, const ApiDependencies& deps, const PkiDependencies& pki);
// POST /v1/test/clock: moves the host's clock (signet serve --test-clock only).
void add_test_clock_routes(Router& router, LifecycleScheduler& scheduler, signet::Logger& log);

// The certificate {id} of the acting tenant. Another tenant's certificate
// is as absent as a missing one: not_found, never forbidden.
std::variant<CertificateRow, HostError> certificate_in_tenant(const RequestContext& context, const ApiDependencies& deps);

// Writes an audit record for each refusal of a guarded route.
RefusalObserver audit_refusals(Database& db, signet::Logger& log);

// Who called and from where, kept in a request's state for its audit record.
RequestCaller caller_state(const RequestContext& context);

// The tenant a call acts in: the caller's own, or for a super admin the one
// named by ?tenant=slug.
Result<std::string> acting_tenant(const RequestContext& context, Database& db);
// The same with the tenant named explicitly (a body's "tenant"); "" is the caller's own.
Result<std::string> acting_tenant(const RequestContext& context, Database& db, const std::string& named);

}  // namespace signet::host
