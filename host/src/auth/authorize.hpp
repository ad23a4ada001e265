// The authorize phase: what the caller's roles allow on a route's
// permission. The HTTP router runs it after authentication on every
// guarded route.
#pragma once

#include <string>
#include <variant>

#include "auth/principal.hpp"
#include "rbac/roles.hpp"
#include "util/host_error.hpp"

namespace signet::host {

// How far `permission` ("cert:read") reaches for the caller, or
// "permission_denied" when no role grants it, or grants it only for the
// caller's own service and the caller has none.
std::variant<Access, HostError> authorize(const Roles& roles, const Principal& caller, const std::string& permission);

}  // namespace signet::host
