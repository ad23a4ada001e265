// Host::reload: the configuration file read again and applied while the
// host serves (docs/operations.md, "Reloading"). Nothing is swapped in until
// everything that can fail (the file, plugin configs, the TLS files, new
// notifier instances, new tenants' rows) has succeeded, and each swap leaves
// requests under way with what they started with.
#include "app/host.hpp"

#include <algorithm>

#include "app/front_setup.hpp"
#include "config/yaml_json.hpp"
#include "db/audit.hpp"
#include "tls/server_context.hpp"

namespace signet::host {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

struct Host::PreparedReload {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null when TLS is off
  std::vector<PluginInstance> notifiers;
  TenantProfiles::Map tenant_limits;
};

ReloadOutcome Host::reload(const ReloadCaller& caller) {
  auto outcome = reload_file();
  const nlohmann::json detail = {{"applied", outcome.applied}, {"changed", outcome.changed}, {"problems", outcome.problems}};
  auto recorded = append_audit(*db_, {caller.tenant_id.empty() ? default_tenant_id_ : caller.tenant_id, caller.principal,
                                      caller.auth, caller.source, "config.reload", config_.file,
                                      outcome.applied ? "success" : "failure", caller.request_id, detail});
  if (!recorded) log().error("cannot record the reload in the audit log", {{"error", recorded.error().message}});
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
  LoadedConfig loaded = load_config_file(config_.file);
  std::vector<std::string> problems;
  for (const auto& issue : loaded.issues) problems.push_back(issue.to_string());
  if (problems.empty()) PluginInstances::check(loaded.config, problems);
  if (!problems.empty()) return refuse(std::move(problems));

  nlohmann::json document;
  try {
    document = json_from_yaml(YAML::LoadFile(config_.file));
  } catch (const YAML::Exception& e) {
    return refuse({config_.file + ": " + e.what()});
  }
  const ReloadPlan plan = plan_reload(running_document_, document);
  for (const auto& path : plan.restart_only)
    problems.push_back(path + " changed: it applies only when the host starts (restart it: systemctl restart signet); "
                              "listen addresses, the database, data_dir, pipelines, roles and plugin instances other "
                              "than notifiers never change while it runs");
  if (!problems.empty()) return refuse(std::move(problems));

  auto prepared = prepare_reload(loaded.config, plan, outcome);
  if (!prepared) return refuse(std::move(outcome.problems));
  apply_reload(loaded.config, std::move(*prepared));
  running_document_ = std::move(document);
  outcome.applied = true;
  outcome.changed = plan.live;
  log().info("configuration reloaded", {{"changed", plan.live.empty() ? "nothing" : joined(plan.live)}});
  return outcome;
}

std::optional<Host::PreparedReload> Host::prepare_reload(const Config& next, const ReloadPlan& plan,
                                                         ReloadOutcome& outcome) {
  PreparedReload prepared;
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
  const auto sources = instances_->request_sources();
  for (const auto& name : plan.notifiers) {
    const bool brings_requests = std::any_of(sources.begin(), sources.end(), [&](const auto& s) { return s.first == name; });
    if (brings_requests) {
      outcome.problems.push_back("plugins.notifier." + name + " changed: it brings requests in (intake), so it is made "
                                 "anew only when the host starts (restart it)");
      continue;
    }
    if (auto made = PluginInstances::create_one(next, *next.instance(name), services_, outcome.problems))
      prepared.notifiers.push_back(std::move(*made));
  }
  auto limits = ensure_configured_tenants(next);
  if (!limits) outcome.problems.push_back("tenants: " + limits.error().message);
  else prepared.tenant_limits = std::move(limits).value();
  if (!outcome.problems.empty()) return std::nullopt;
  return prepared;
}

void Host::apply_reload(const Config& next, PreparedReload prepared) {
  if (auto level = parse_log_level(next.log_level)) services_.json_logger().set_level(*level);
  config_.profiles = next.profiles;
  tenant_profiles_.replace(std::move(prepared.tenant_limits));
  router_->set_rate_limits(rate_limits(next.server));
  if (prepared.tls) server_->set_tls(std::move(prepared.tls));
  dispatcher_->set_settings(next.notifications);
  for (auto& made : prepared.notifiers) instances_->replace(std::move(made));
}

}  // namespace signet::host
