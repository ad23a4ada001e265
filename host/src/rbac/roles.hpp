// Role-based access: `resource:action` permissions and the roles that
// grant them. The six built-in roles follow seed 003 (docs/access.md);
// configuration may add roles of its own. A grant ending in `_own`
// ("cert:read_own") allows the action only on objects that belong to the
// caller's own service; `resource:*` allows every action on a resource.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <signet/result.hpp>

namespace signet::host {

// How far a permission reaches for one caller.
enum class Access { none, own, all };

struct RoleDefinition {
  std::string name;
  std::string description;
  std::vector<std::string> permissions;  // grants: "cert:read", "cert:*", "cert:read_own"
};

class Roles {
 public:
  // The six roles of seed 003.
  static Roles builtin();

  // Error{invalid_config} for a malformed grant or a name already taken.
  Result<void> add(RoleDefinition role);
  bool exists(const std::string& name) const { return roles_.count(name) > 0; }
  const std::map<std::string, RoleDefinition>& all() const { return roles_; }

  // The widest access any of `roles` gives to `permission` ("cert:read").
  // Unknown roles grant nothing.
  Access access(const std::vector<std::string>& roles, std::string_view permission) const;

  // Whether holders of `caller` roles already have every grant of `role`,
  // so handing it out (a token, a login role) gives nobody more than the
  // giver has. False for an unknown role.
  bool within(const std::vector<std::string>& caller, const std::string& role) const;

 private:
  // Whether one of the roles lists exactly this grant.
  bool holds(const std::vector<std::string>& roles, const std::string& grant) const;

  std::map<std::string, RoleDefinition> roles_;
};

// "resource:action", "resource:action_own" or "resource:*", in lower-case
// letters, digits and underscores.
bool valid_grant(std::string_view grant);

}  // namespace signet::host
