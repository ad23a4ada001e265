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

std::variant<Access, HostError> authorize(const Roles& roles, const Principal& caller, const std::string& permission) {
  const Access access = roles.access(caller.roles, permission);
  if (access == Access::none)
    return HostError{"permission_denied", "the caller's " + listed(caller.roles) + " do not allow " + permission};
  if (access == Access::own && caller.service.empty())
    return HostError{"permission_denied", "the caller's " + listed(caller.roles) + " allow " + permission +
                                              " only for the caller's own service, and the caller has none"};
  return access;
}

}  // namespace signet::host
