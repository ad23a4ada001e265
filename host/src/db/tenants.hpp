// Tenants: every row of tenant data names one.
#pragma once

#include <optional>
#include <string>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct Tenant {
  std::string id;
  std::string slug;
  std::string name;
  TimePoint created_at{};
};

// Returns the tenant with this slug, creating it when absent.
Result<Tenant> ensure_tenant(Database& db, const std::string& slug, const std::string& name);
Result<std::optional<Tenant>> find_tenant_by_slug(Database& db, const std::string& slug);
// Error{conflict} when the slug is taken. `also` runs in the same
// transaction (its audit record), with the new tenant.
Result<Tenant> create_tenant(Database& db, const std::string& slug, const std::string& name,
                             const std::function<void(soci::session&, const Tenant&)>& also = {});
Result<std::vector<Tenant>> list_tenants(Database& db);

}  // namespace signet::host
