#include "api/api.hpp"

namespace signet::host {

void add_api_routes(Router& router, const ApiDependencies& deps, const PkiDependencies& pki) {
  add_operations_routes(router, deps);
  add_metrics_route(router, deps, pki.crls);
  add_certificate_routes(router, deps);
  add_certificate_export_routes(router, deps);  // before /v1/certificates/{id}: the first match wins
  add_certificate_read_routes(router, deps);
  add_search_routes(router, deps);
  add_stats_routes(router, deps);
  add_session_routes(router, deps);
  add_live_routes(router, deps);
  add_ui_routes(router, deps);
  add_bundle_routes(router, deps);
  add_revocation_routes(router, deps);
  add_request_routes(router, deps);
  add_pki_routes(router, pki);
  add_tenant_routes(router, deps);
  add_token_routes(router, deps);
  add_audit_routes(router, deps);
  add_approle_routes(router, deps);
  add_renewal_routes(router, deps);
  add_notification_routes(router, deps);
  add_secret_routes(router, deps);
  add_reload_route(router, deps);
}

}  // namespace signet::host
