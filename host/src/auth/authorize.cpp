#include "auth/authorize.hpp"

namespace signet::host {
namespace {

std::string listed(const std::vector<std::string>& roles) {
  if (roles.empty()) return "no roles";
  std::string out;
  for (const auto& role : roles) out += (out.empty() ? "" : ", ") + role;
  return "roles " + out;
}

}  // namespace

Authorizer role_authorizer(std::shared_ptr<const Roles> roles) {
  return [roles](RequestContext& context, const std::string& permission) -> std::optional<ApiError> {
    const Principal& p = *context.principal;
    const Access access = roles->access(p.roles, permission);
    if (access == Access::none)
      return ApiError{"permission_denied", "the caller's " + listed(p.roles) + " do not allow " + permission};
    if (access == Access::own && p.service.empty())
      return ApiError{"permission_denied", "the caller's " + listed(p.roles) + " allow " + permission +
                                       " only for the caller's own service, and the caller has none"};
    context.access = access;
    return std::nullopt;
  };
}

}  // namespace signet::host
