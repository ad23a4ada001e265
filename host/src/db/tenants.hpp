// Tenants: every row of tenant data names one.
#pragma once

#include <optional>
#include <string>

#include "db/database.hpp"

namespace signet::host {

struct Tenant {
  std::string id;
  std::string slug;
  std::string name;
};

// Returns the tenant with this slug, creating it when absent.
Result<Tenant> ensure_tenant(Database& db, const std::string& slug, const std::string& name);
Result<std::optional<Tenant>> find_tenant_by_slug(Database& db, const std::string& slug);

}  // namespace signet::host
