#include "api/api.hpp"
#include "auth/tokens.hpp"
#include "db/tenants.hpp"

namespace signet::host {

Result<std::string> acting_tenant(const RequestContext& context, Database& db) {
  const Principal& p = *context.principal;
  const auto named = context.query.find("tenant");
  if (named == context.query.end() || named->second == p.tenant) return p.tenant_id;
  // Only a super admin may act in another tenant; to anyone else the other
  // tenant does not exist.
  if (!p.has_role(kSuperAdminRole)) return make_error(ErrorCode::not_found, "no tenant " + named->second);
  auto tenant = find_tenant_by_slug(db, named->second);
  if (!tenant) return std::move(tenant).error();
  if (!tenant.value()) return make_error(ErrorCode::not_found, "no tenant " + named->second);
  return tenant.value()->id;
}

}  // namespace signet::host
