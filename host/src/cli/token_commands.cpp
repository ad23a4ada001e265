// signet token create | list | revoke over the API; `token bootstrap`
// (offline, the first super-admin token) is in commands.cpp.
#include <iostream>

#include "client/api_client.hpp"
#include "cli/commands.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: signet token create --role ROLE [--role ROLE]... [--tenant SLUG] [--service NAME] [--ttl 720h]\n"
    "                           [--network CIDR]... [--description TEXT]\n"
    "       signet token list [--tenant SLUG]\n"
    "       signet token revoke ID [--tenant SLUG]\n"
    "       signet token bootstrap (--config F | --data-dir D) --out FILE [--force]\n"
    "  server: --addr URL (SIGNET_ADDR), --token T (SIGNET_TOKEN), --cacert FILE (SIGNET_CACERT)";

std::string tenant_query(const Args& args) { return args.flag("tenant") ? "?tenant=" + *args.flag("tenant") : ""; }

int create(ApiClient& api, const Args& args) {
  json body = {{"roles", args.all("role")}};
  for (const char* key : {"tenant", "service", "ttl", "description"})
    if (auto v = args.flag(key)) body[key] = *v;
  if (args.has("network")) body["allowed_networks"] = args.all("network");
  auto made = api.call("POST", "/v1/tokens", body);
  if (!made) return 1;
  // The secret alone on stdout, so `TOKEN=$(signet token create …)` works; the rest on stderr.
  std::cerr << "token " << made->value("id", "") << " expires " << made->value("expires_at", "") << "\n";
  std::cout << made->value("token", "") << "\n";
  return 0;
}

int list(ApiClient& api, const Args& args) {
  auto page = api.call("GET", "/v1/tokens" + tenant_query(args));
  if (!page) return 1;
  for (const auto& t : page->value("items", json::array())) {
    std::string roles;
    for (const auto& r : t["roles"]) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
    std::cout << t.value("id", "") << "  " << roles << "  service=" << (t["service"].is_string() ? t["service"].get<std::string>() : "-")
              << "  expires=" << (t["expires_at"].is_string() ? t["expires_at"].get<std::string>() : "never")
              << (t["revoked_at"].is_string() ? "  revoked" : "") << "\n";
  }
  return 0;
}

}  // namespace

int command_token(int argc, char** argv) {
  const std::string action = argc > 2 ? argv[2] : "";
  if (action == "bootstrap") return command_token_bootstrap(argc, argv);
  Args args(argc, argv, 3, {});
  std::set<std::string> known = ApiClient::connection_flags();
  for (const char* f : {"role", "tenant", "service", "ttl", "network", "description"}) known.insert(f);
  if (!args.only(known)) return usage_error(args.error() + "\n" + kUsage);
  const bool revoke = action == "revoke";
  if ((action != "create" && action != "list" && !revoke) || args.positional().size() != (revoke ? 1u : 0u) ||
      (action == "create" && !args.has("role")))
    return usage_error(kUsage);
  auto api = ApiClient::from(args);
  if (!api) return 2;
  if (action == "create") return create(*api, args);
  if (action == "list") return list(*api, args);
  if (!api->call("DELETE", "/v1/tokens/" + args.positional().front() + tenant_query(args))) return 1;
  std::cout << "revoked " << args.positional().front() << "\n";
  return 0;
}

}  // namespace signet::host
