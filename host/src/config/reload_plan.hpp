// What a live reload (SIGHUP, `signet reload`) would change, read off the
// running and the new configuration file as written (before ${env:} and
// ${file:} are resolved): which changes the host applies while it runs, and
// which only a restart can make (docs/operations.md, "Reloading").
//
// Applied live: log_level, profiles, the profiles a tenant may use (and new
// tenants without pipelines of their own), server.rate_limits, the TLS
// certificate and key (server.tls without `enabled` and `client_auth`),
// notifications, and the config of a notifier instance. Everything else —
// listen addresses, the database, data_dir, every other plugin instance,
// pipelines, roles, the dashboard, … — is restart-only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::host {

struct ReloadPlan {
  // Dotted paths of what changed: "server.listen", "database", "plugins.ca.internal".
  std::vector<std::string> restart_only;
  std::vector<std::string> live;       // "log_level", "profiles", "tenants", "server.tls", ...
  std::vector<std::string> notifiers;  // notifier instances whose config changed (a subset of live)
};

// What a reload did: applied (with what changed), or refused (with every
// problem, the running configuration still in force).
struct ReloadOutcome {
  bool applied = false;
  std::vector<std::string> changed;   // live paths applied
  std::vector<std::string> problems;  // "signet.yaml:12: ...", "server.listen changed: ..."
};

// Where the host writes the last reload's outcome, {"generation", "at",
// "applied", "changed", "problems"}, after each one: reload.json in
// systemd's $RUNTIME_DIRECTORY (RuntimeDirectory=signet: /run/signet) when
// set, else in `data_dir`.
std::string reload_status_path(const std::string& data_dir);

// Who asked for the reload, for its audit record: an API caller, or the
// signal (auth "signal", source "SIGHUP").
struct ReloadCaller {
  std::string tenant_id, principal, auth, source, request_id;
};

// `running` and `next`: the two files as json_from_yaml reads them.
ReloadPlan plan_reload(const nlohmann::json& running, const nlohmann::json& next);

}  // namespace signet::host
