#include "rbac/roles.hpp"

#include <algorithm>

namespace signet::host {
namespace {

constexpr std::string_view kOwnSuffix = "_own";

bool valid_word(std::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// What one grant gives to one permission; both are "resource:action".
Access grant_access(std::string_view grant, std::string_view permission) {
  const std::size_t colon = permission.find(':');
  const std::string_view resource = permission.substr(0, colon + 1);  // with the colon
  if (grant.substr(0, resource.size()) != resource) return Access::none;
  const std::string_view granted = grant.substr(resource.size());
  const std::string_view action = permission.substr(colon + 1);
  if (granted == "*" || granted == action) return Access::all;
  if (ends_with(granted, kOwnSuffix) && granted.substr(0, granted.size() - kOwnSuffix.size()) == action)
    return Access::own;
  return Access::none;
}

}  // namespace

bool valid_grant(std::string_view grant) {
  const std::size_t colon = grant.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view action = grant.substr(colon + 1);
  return valid_word(grant.substr(0, colon)) && (action == "*" || valid_word(action));
}

Roles Roles::builtin() {
  Roles roles;
  const std::vector<RoleDefinition> defaults = {
      {"pki_super_admin", "Full administration of every tenant: tenants, CAs, certificates, identities",
       {"tenant:*", "ca:*", "cert:*", "token:*", "approle:*", "profile:*", "audit:read", "renewal:*", "signature:*",
        "compliance:*", "notification:*", "secret:*", "request:*", "host:reload"}},
      {"pki_admin", "Administration of one tenant: certificates, identities, audit",
       {"ca:read", "cert:*", "token:*", "approle:*", "profile:read", "audit:read", "renewal:run", "compliance:read",
        "notification:read", "secret:*", "request:approve"}},
      {"cert_manager", "Certificate lifecycle in one tenant",
       {"cert:request", "cert:renew", "cert:revoke", "cert:read", "cert:export", "ca:read", "profile:read",
        "notification:read"}},
      {"service_account", "An application: its own service's certificates only",
       {"cert:request_own", "cert:renew_own", "cert:read_own", "cert:export_own", "ca:read"}},
      {"secrets_user", "An application's secrets: those under its own service's folder only",
       {"secret:read_own", "secret:write_own", "secret:delete_own"}},
      {"code_signer", "Code-signing operations", {"signature:create", "signature:verify", "cert:read"}},
      {"auditor", "Read-only: audit log, certificates, compliance",
       {"audit:read", "compliance:read", "cert:read", "ca:read", "profile:read", "notification:read"}},
  };
  for (const auto& role : defaults) roles.roles_[role.name] = role;
  return roles;
}

Result<void> Roles::add(RoleDefinition role) {
  if (!valid_word(role.name)) return make_error(ErrorCode::invalid_config, "role name '" + role.name + "' is not lower_snake_case");
  if (exists(role.name)) return make_error(ErrorCode::invalid_config, "role " + role.name + " is defined twice (or is built in)");
  for (const auto& grant : role.permissions)
    if (!valid_grant(grant))
      return make_error(ErrorCode::invalid_config, "role " + role.name + ": '" + grant + "' is not resource:action");
  roles_[role.name] = std::move(role);
  return {};
}

bool Roles::holds(const std::vector<std::string>& names, const std::string& grant) const {
  for (const auto& name : names) {
    const auto role = roles_.find(name);
    if (role == roles_.end()) continue;
    const auto& grants = role->second.permissions;
    if (std::find(grants.begin(), grants.end(), grant) != grants.end()) return true;
  }
  return false;
}

bool Roles::within(const std::vector<std::string>& caller, const std::string& name) const {
  const auto role = roles_.find(name);
  if (role == roles_.end()) return false;
  for (const auto& grant : role->second.permissions) {
    const std::size_t colon = grant.find(':');
    const std::string action = grant.substr(colon + 1);
    // A wildcard is covered only by a wildcard: "cert:*" also grants actions added later.
    if (action == "*") {
      if (!holds(caller, grant)) return false;
      continue;
    }
    const bool own = ends_with(action, kOwnSuffix);
    const std::string permission = grant.substr(0, colon + 1) + (own ? action.substr(0, action.size() - kOwnSuffix.size()) : action);
    const Access needed = own ? Access::own : Access::all;
    if (access(caller, permission) < needed) return false;
  }
  return true;
}

Access Roles::access(const std::vector<std::string>& names, std::string_view permission) const {
  Access widest = Access::none;
  for (const auto& name : names) {
    const auto role = roles_.find(name);
    if (role == roles_.end()) continue;
    for (const auto& grant : role->second.permissions) widest = std::max(widest, grant_access(grant, permission));
  }
  return widest;
}

}  // namespace signet::host
