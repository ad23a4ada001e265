#include "auth/bootstrap.hpp"

#include "db/tenants.hpp"
#include <fsutil/files.hpp>

namespace signet::host {

Result<IssuedToken> bootstrap_admin_token(Database& db, const std::string& out_path, bool force) {
  if (auto migrated = db.migrate(); !migrated) return std::move(migrated).error();
  auto tenant = ensure_tenant(db, "default", "Default");
  if (!tenant) return std::move(tenant).error();
  TokenStore tokens(db);
  auto exists = tokens.super_admin_exists();
  if (!exists) return std::move(exists).error();
  if (exists.value() && !force)
    return make_error(ErrorCode::conflict, "a pki_super_admin token exists already (use --force to add another)");
  auto issued = tokens.issue({tenant->id, {kSuperAdminRole}, "", "bootstrap", std::nullopt, {}});
  if (!issued) return issued;
  if (auto written = fsutil::write_file_atomically(out_path, issued->token + "\n", 0600); !written) return std::move(written).error();
  return issued;
}

}  // namespace signet::host
