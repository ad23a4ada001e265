// Who is calling: established by authentication before any handler runs.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace signet::host {

struct Principal {
  std::string id;          // token id, or the certificate's identity
  std::string tenant_id;
  std::string tenant;      // slug
  std::vector<std::string> roles;
  std::string service;     // for _own permissions; may be empty
  std::string auth;        // "token", "mtls", "session:token", "session:oidc"
  std::vector<std::string> networks;  // canonical CIDRs the token may be used from; empty: anywhere
  std::string name;        // a person's name or e-mail (dashboard sessions); "" otherwise

  bool has_role(const std::string& role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
};

}  // namespace signet::host
