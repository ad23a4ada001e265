// Host::reload: the configuration file read again and applied while the
// host serves (docs/operations.md, "Reloading"). Nothing is swapped in until
// everything that can fail (the file, plugin configs, new notifier
// instances, the TLS files, new tenants' rows) has succeeded, and each swap
// leaves requests under way with what they started with.
#include "app/host.hpp"

#include <algorithm>

#include <fsutil/files.hpp>

#include "app/front_setup.hpp"
#include "config/yaml_json.hpp"
#include "db/audit.hpp"
#include "tls/server_context.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// A notifier whose config reads a file (${file:…}: a token, a password) is
// made anew at every reload even when the text around it is unchanged: the
// file may hold a rotated secret. ${env:…} cannot change in a running process.
bool reads_files(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar().find("${file:") != std::string::npos;
  if (node.IsMap()) return std::any_of(node.begin(), node.end(), [](const auto& e) { return reads_files(e.second); });
  if (node.IsSequence()) return std::any_of(node.begin(), node.end(), [](const auto& i) { return reads_files(i); });
  return false;
}

}  // namespace

struct Host::PreparedReload {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null when TLS is off
  std::vector<PluginInstance> notifiers;
  TenantProfiles::Map tenant_limits;
};

ReloadOutcome Host::reload(const ReloadCaller& caller) {
  ReloadOutcome outcome;
  try {
    outcome = reload_file();
  } catch (const std::exception& e) {  // a plugin factory or memory: refused, the host serves on
    outcome = {};
    outcome.problems = {std::string("the reload failed: ") + e.what()};
    log().error("reload refused; the running configuration stays", {{"problem", outcome.problems.front()}});
  }
  const nlohmann::json detail = {{"applied", outcome.applied}, {"changed", outcome.changed}, {"problems", outcome.problems}};
  auto recorded = append_audit(*db_, {caller.tenant_id.empty() ? default_tenant_id_ : caller.tenant_id, caller.principal,
                                      caller.auth, caller.source, "config.reload", config_.file,
                                      outcome.applied ? "success" : "failure", caller.request_id, detail});
  if (!recorded) log().error("cannot record the reload in the audit log", {{"error", recorded.error().message}});
  // What `signet reload --pid` (the unit's ExecReload) waits for and prints.
  nlohmann::json status = detail;
  status["at"] = to_rfc3339_millis(std::chrono::system_clock::now());
  status["generation"] = ++reload_generation_;
  if (auto written = fsutil::write_file_atomically(reload_status_path(config_.data_dir), status.dump() + "\n", 0600); !written)
    log().warn("cannot write the reload's outcome for `signet reload --pid`", {{"error", written.error().message}});
  return outcome;
}

ReloadOutcome Host::reload_file() {
  const std::lock_guard lock(reload_mutex_);
  ReloadOutcome outcome;
  auto refuse = [&](std::vector<std::string> problems) {
    outcome.problems = std::move(problems);
    for (const auto& p : outcome.problems) log().error("reload refused; the running configuration stays", {{"problem", p}});
    return outcome;
  };
  if (config_.file.empty()) return refuse({"this host runs on --dev defaults: there is no configuration file to reload"});
  // Read once: what is checked, compared and applied is the same text.
  auto text = fsutil::read_file(config_.file);
  if (!text) return refuse({config_.file + ": cannot read the configuration file: " + text.error().message});
  LoadedConfig loaded = load_config_text(text.value(), config_.file);
  std::vector<std::string> problems;
  for (const auto& issue : loaded.issues) problems.push_back(issue.to_string());
  if (problems.empty()) PluginInstances::check(loaded.config, problems);
  if (!problems.empty()) return refuse(std::move(problems));

  nlohmann::json document = json_from_yaml(YAML::Load(text.value()));  // it parsed above
  const ReloadPlan plan = plan_reload(running_document_, document);
  for (const auto& path : plan.restart_only)
    problems.push_back(path + " changed: it applies only when the host starts (restart it: systemctl restart signet); "
                              "listen addresses, the database, data_dir, pipelines, roles and plugin instances other "
                              "than notifiers never change while it runs");
  if (!problems.empty()) return refuse(std::move(problems));

  std::vector<std::string> changed = plan.live;
  auto prepared = prepare_reload(loaded.config, plan, changed, outcome);
  if (!prepared) return refuse(std::move(outcome.problems));
  apply_reload(loaded.config, plan, std::move(*prepared));
  running_document_ = std::move(document);
  outcome.applied = true;
  outcome.changed = std::move(changed);
  log().info("configuration reloaded", {{"changed", outcome.changed.empty() ? "nothing" : join(outcome.changed, ", ")}});
  return outcome;
}

// Cheapest and side-effect free first: new notifier instances, then the TLS
// context (automatic TLS may renew the host's certificate on disk, as at
// start), then new tenants' rows; each step runs only if all before it
// succeeded.
std::optional<Host::PreparedReload> Host::prepare_reload(const Config& next, const ReloadPlan& plan,
                                                         std::vector<std::string>& changed, ReloadOutcome& outcome) {
  PreparedReload prepared;
  const auto sources = instances_->request_sources();
  for (const auto& instance : next.instances) {
    if (instance.kind != PluginKind::notifier) continue;
    const bool edited = std::find(plan.notifiers.begin(), plan.notifiers.end(), instance.name) != plan.notifiers.end();
    const bool brings_requests =
        std::any_of(sources.begin(), sources.end(), [&](const auto& s) { return s.first == instance.name; });
    if (edited && brings_requests) {
      outcome.problems.push_back("plugins.notifier." + instance.name + " changed: it brings requests in (intake), so it "
                                 "is made anew only when the host starts (restart it)");
      continue;
    }
    if (!edited && (brings_requests || !reads_files(instance.config))) continue;
    auto made = PluginInstances::create_one(next, instance, services_, outcome.problems);
    if (!made) continue;
    prepared.notifiers.push_back(std::move(*made));
    if (!edited) changed.push_back("plugins.notifier." + instance.name + " (its ${file:} values read again)");
  }
  if (!outcome.problems.empty()) return std::nullopt;

  // The certificate and key files are read again even when the file names
  // did not change: a renewed certificate put in place is the usual reason.
  if (next.server.tls.mode != TlsConfig::Mode::disabled) {
    if (auto ready = prepare_tls(next, *instances_, default_tenant_id_, log()); !ready)
      outcome.problems.push_back("server.tls: " + ready.error().message);
    else if (auto tls = make_server_tls(next.server.tls, next.data_dir, client_anchors_); !tls)
      outcome.problems.push_back("server.tls: " + tls.error().message);
    else
      prepared.tls = tls.value();
  }
  if (!outcome.problems.empty()) return std::nullopt;

  auto limits = ensure_configured_tenants(next);
  if (!limits) outcome.problems.push_back("tenants: " + limits.error().message);
  else prepared.tenant_limits = std::move(limits).value();
  if (!outcome.problems.empty()) return std::nullopt;
  return prepared;
}

void Host::apply_reload(const Config& next, const ReloadPlan& plan, PreparedReload prepared) {
  const auto live = [&](const char* path) { return std::find(plan.live.begin(), plan.live.end(), path) != plan.live.end(); };
  if (auto level = parse_log_level(next.log_level)) services_.json_logger().set_level(*level);
  config_.profiles = next.profiles;
  tenant_profiles_.replace(std::move(prepared.tenant_limits));
  // New limiters start with full buckets: only when the limits changed.
  if (live("server.rate_limits")) router_->set_rate_limits(rate_limits(next.server));
  if (prepared.tls) server_->set_tls(std::move(prepared.tls));
  dispatcher_->set_settings(next.notifications);
  for (auto& made : prepared.notifiers) instances_->replace(std::move(made));
}

}  // namespace signet::host
