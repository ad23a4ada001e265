// The authorize phase: what the caller's roles allow on a route's
// permission. The router runs it after authentication on every guarded
// route (http/router.hpp).
#pragma once

#include <memory>

#include "auth/permissions.hpp"
#include "http/router.hpp"

namespace signet::host {

// Error "permission_denied" when no role grants the permission, or grants it only
// for the caller's own service and the caller has none; otherwise sets
// context.access.
Authorizer role_authorizer(std::shared_ptr<const Roles> roles);

}  // namespace signet::host
