// The `ui` section: the dashboard at /ui/, how people sign in to it (a
// token, or the company's OpenID Connect provider) and how long their
// sessions last (docs/dashboard.md).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "config/yaml_section.hpp"

namespace signet::host {

// What members of an identity provider's group may do in Signet.
struct OidcGroupGrant {
  std::vector<std::string> roles;
  std::string tenant;  // slug; "" for the default tenant
  int line = 0;
};

struct OidcConfig {
  std::string issuer;  // "" when OpenID Connect is off
  std::string client_id, client_secret;
  std::string ca_file;  // PEM bundle to trust for the provider; "" for the system's
  std::vector<std::string> scopes{"openid", "email", "profile"};
  std::string username_claim = "email";  // who the person is in the audit log
  std::string groups_claim = "groups";
  std::map<std::string, OidcGroupGrant> groups;  // by group name
  std::string display_name = "Single sign-on";
  int line = 0;
};

struct UiConfig {
  bool enabled = true;
  std::string dir;  // the built dashboard; "" for <exe>/../share/signet/web
  bool token_sign_in = true;
  std::chrono::milliseconds idle_timeout{30 * 60 * 1000};
  std::chrono::milliseconds absolute_timeout{12 * 3600 * 1000};
  OidcConfig oidc;
};

void read_ui(YamlSection ui, UiConfig& out);
class Roles;
void check_ui(ConfigIssues& issues, const UiConfig& ui, const Roles& roles);

// Where the built dashboard is installed: <exe>/../share/signet/web.
std::string default_ui_dir();

}  // namespace signet::host
