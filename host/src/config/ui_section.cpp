#include "config/ui_section.hpp"

#include <unistd.h>

#include <algorithm>

#include "rbac/roles.hpp"

namespace signet::host {
namespace {

void read_session(YamlSection s, UiConfig& out) {
  if (auto v = s.duration("idle_timeout")) out.idle_timeout = *v;
  if (auto v = s.duration("absolute_timeout")) out.absolute_timeout = *v;
  if (out.idle_timeout < std::chrono::minutes(1) || out.idle_timeout > out.absolute_timeout)
    s.error(s.line(), "ui.session.idle_timeout must be at least 1m and at most ui.session.absolute_timeout");
  if (out.absolute_timeout > std::chrono::hours(24 * 7)) s.error(s.line(), "ui.session.absolute_timeout must be at most 7d");
  s.finish();
}

void read_groups(YamlSection groups, const YAML::Node& node, OidcConfig& out) {
  if (!node || !node.IsMap()) return;
  for (const auto& entry : node) {
    const std::string name = entry.first.Scalar();
    groups.node(name);
    YamlSection g(entry.second, "ui.oidc.groups." + name, groups.issues());
    OidcGroupGrant grant;
    grant.line = line_of(entry.first);
    grant.roles = g.strings("roles");
    if (auto v = g.string("tenant")) grant.tenant = *v;
    g.finish();
    out.groups[name] = std::move(grant);
  }
}

void read_oidc(YamlSection o, OidcConfig& out) {
  out.line = o.line();
  if (!o.has("issuer")) {
    o.finish();
    return;
  }
  out.issuer = o.string("issuer").value_or("");
  while (!out.issuer.empty() && out.issuer.back() == '/') out.issuer.pop_back();
  out.client_id = o.string("client_id", true).value_or("");
  out.client_secret = o.string("client_secret", true).value_or("");
  if (auto v = o.string("ca_file")) out.ca_file = *v;
  if (o.has("scopes")) out.scopes = o.strings("scopes");
  if (auto v = o.string("username_claim")) out.username_claim = *v;
  if (auto v = o.string("groups_claim")) out.groups_claim = *v;
  if (auto v = o.string("display_name")) out.display_name = *v;
  read_groups(o.section("groups"), o.node("groups"), out);
  o.finish();
}

}  // namespace

void read_ui(YamlSection ui, UiConfig& out) {
  if (auto v = ui.boolean("enabled")) out.enabled = *v;
  if (auto v = ui.string("dir")) out.dir = *v;
  if (auto v = ui.boolean("token_sign_in")) out.token_sign_in = *v;
  read_session(ui.section("session"), out);
  read_oidc(ui.section("oidc"), out.oidc);
  ui.finish();
}

void check_ui(ConfigIssues& issues, const UiConfig& ui, const Roles& roles) {
  const OidcConfig& o = ui.oidc;
  if (o.issuer.empty()) return;
  const bool https = o.issuer.rfind("https://", 0) == 0;
  const bool loopback = o.issuer.rfind("http://127.0.0.1", 0) == 0 || o.issuer.rfind("http://[::1]", 0) == 0 ||
                        o.issuer.rfind("http://localhost", 0) == 0;
  if (!https && !loopback) issues.add(o.line, "ui.oidc.issuer must be an https:// URL (http:// only to a loopback address)");
  if (std::find(o.scopes.begin(), o.scopes.end(), "openid") == o.scopes.end())
    issues.add(o.line, "ui.oidc.scopes must include openid");
  if (o.groups.empty()) issues.add(o.line, "ui.oidc.groups must map at least one group to roles: nobody could do anything");
  for (const auto& [name, grant] : o.groups) {
    if (grant.roles.empty()) issues.add(grant.line, "ui.oidc.groups." + name + ".roles is empty");
    for (const auto& role : grant.roles)
      if (!roles.exists(role))
        issues.add(grant.line, "ui.oidc.groups." + name + ".roles names unknown role \"" + role + "\"");
  }
}

std::string default_ui_dir() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return "share/signet/web";
  std::string exe(buffer, static_cast<std::size_t>(n));
  return exe.substr(0, exe.rfind('/')) + "/../share/signet/web";
}

}  // namespace signet::host
