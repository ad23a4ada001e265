#include "api/api.hpp"
#include "auth/tokens.hpp"
#include "db/tenants.hpp"

namespace signet::host {

RequestCaller caller_state(const RequestContext& context) {
  return {context.principal ? context.principal->auth : "", context.remote, ""};
}

Result<std::string> acting_tenant(const RequestContext& context, Database& db) {
  return acting_tenant(context, db, context.query_value("tenant"));
}

Result<std::string> acting_tenant(const RequestContext& context, Database& db, const std::string& named) {
  const Principal& p = *context.principal;
  if (named.empty() || named == p.tenant) return p.tenant_id;
  // Only a super admin may act in another tenant; to anyone else the other
  // tenant does not exist.
  if (!p.has_role(kSuperAdminRole)) return make_error(ErrorCode::not_found, "no tenant " + named);
  auto tenant = find_tenant_by_slug(db, named);
  if (!tenant) return std::move(tenant).error();
  if (!tenant.value()) return make_error(ErrorCode::not_found, "no tenant " + named);
  return tenant.value()->id;
}

}  // namespace signet::host
