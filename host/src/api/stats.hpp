// The overview's numbers (api/stats.cpp), shared by GET /v1/stats and the
// live feed's stats messages.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "api/api.hpp"

namespace signet::host {

struct TenantScope {
  std::vector<std::string> ids;
  std::map<std::string, std::string> slugs;  // id -> slug
};

// The caller's tenant, a tenant it names (?tenant=SLUG), or every tenant
// (?tenant=*, super admins only: to anyone else other tenants do not exist).
std::variant<TenantScope, HostError> tenant_scope(const RequestContext& context, const ApiDependencies& deps);

// What GET /v1/stats answers for the scope.
std::variant<nlohmann::json, HostError> overview_numbers(const ApiDependencies& deps, const TenantScope& scope, TimePoint now);

}  // namespace signet::host
