// What a reload may apply live and what needs a restart, read off the two
// files: every section is one or the other, and a notifier whose config
// alone changed is made anew.
#include <gtest/gtest.h>

#include "config/reload_plan.hpp"
#include "config/yaml_json.hpp"

namespace signet::host {
namespace {

using Paths = std::vector<std::string>;

const char* kRunning = R"(
data_dir: /var/lib/signet
log_level: info
server:
  listen: 127.0.0.1:8443
  tls: {cert: /etc/signet/tls.crt, key: /etc/signet/tls.key, client_auth: {mode: optional, trust_ca: corp}}
  rate_limits: {per_source: {rate: 50}}
plugins:
  ca:
    corp: {plugin: ca-internal, config: {keys: keys, dir: /var/lib/signet/ca}}
  notifier:
    hooks: {plugin: notify-webhook, config: {url: "https://hooks.example.com/a"}}
profiles:
  default: {dns: {allowed_suffixes: [.example.com]}}
tenants:
  payments: {profiles: [default]}
pipelines:
  issue: {sign: corp, notify: [hooks]}
)";

ReloadPlan plan_for(const std::string& edited) {
  return plan_reload(json_from_yaml(YAML::Load(kRunning)), json_from_yaml(YAML::Load(edited)));
}

std::string edit(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ReloadPlan, TheSameFileChangesNothing) {
  const auto plan = plan_for(kRunning);
  EXPECT_TRUE(plan.live.empty());
  EXPECT_TRUE(plan.restart_only.empty());
}

TEST(ReloadPlan, KeyOrderAndFlowStyleAreNotChanges) {
  const auto plan = plan_for(edit(kRunning, "default: {dns: {allowed_suffixes: [.example.com]}}",
                                  "default:\n    dns:\n      allowed_suffixes:\n        - .example.com"));
  EXPECT_TRUE(plan.live.empty());
  EXPECT_TRUE(plan.restart_only.empty());
}

TEST(ReloadPlan, LiveSections) {
  std::string next = edit(kRunning, "log_level: info", "log_level: debug");
  next = edit(next, "[.example.com]}}\ntenants", "[.example.com, .example.net]}}\ntenants");
  next = edit(next, "rate: 50", "rate: 5");
  next = edit(next, "tls.key,", "tls-2024.key,");
  next += "notifications: {retry: {initial: 5s}}\n";
  const auto plan = plan_for(next);
  EXPECT_EQ(plan.live, Paths({"log_level", "notifications", "profiles", "server.rate_limits", "server.tls"}));
  EXPECT_TRUE(plan.restart_only.empty());
}

TEST(ReloadPlan, ListenAddressesDatabaseAndPipelinesNeedARestart) {
  std::string next = edit(kRunning, "listen: 127.0.0.1:8443", "listen: 0.0.0.0:8443");
  next = edit(next, "data_dir: /var/lib/signet", "data_dir: /srv/signet\ndatabase: postgresql://db/signet");
  next = edit(next, "notify: [hooks]", "notify: []");
  next = edit(next, "mode: optional", "mode: required");
  EXPECT_EQ(plan_for(next).restart_only,
            Paths({"data_dir", "database", "pipelines", "server.listen", "server.tls.client_auth"}));
}

TEST(ReloadPlan, ATenantsProfilesAreLiveItsPipelinesAreNot) {
  auto plan = plan_for(edit(kRunning, "payments: {profiles: [default]}", "payments: {profiles: []}\n  retail: {}"));
  EXPECT_EQ(plan.live, Paths({"tenants"}));
  EXPECT_TRUE(plan.restart_only.empty());
  plan = plan_for(edit(kRunning, "payments: {profiles: [default]}",
                       "payments: {profiles: [default], pipelines: {issue: {sign: corp}}}"));
  EXPECT_EQ(plan.restart_only, Paths({"tenants.payments"}));
}

TEST(ReloadPlan, ANotifiersConfigIsLiveAnythingElseOfPluginsIsNot) {
  auto plan = plan_for(edit(kRunning, "hooks.example.com/a", "hooks.example.com/b"));
  EXPECT_EQ(plan.notifiers, Paths({"hooks"}));
  EXPECT_EQ(plan.live, Paths({"plugins.notifier.hooks"}));
  EXPECT_TRUE(plan.restart_only.empty());
  plan = plan_for(edit(kRunning, "plugin: notify-webhook", "plugin: notify-email"));
  EXPECT_EQ(plan.restart_only, Paths({"plugins.notifier.hooks"}));
  EXPECT_TRUE(plan.notifiers.empty());
  plan = plan_for(edit(kRunning, "dir: /var/lib/signet/ca", "dir: /var/lib/signet/ca2"));
  EXPECT_EQ(plan.restart_only, Paths({"plugins.ca"}));
  plan = plan_for(edit(kRunning, "  notifier:\n", "  notifier:\n    mail: {plugin: notify-email, config: {}}\n"));
  EXPECT_EQ(plan.restart_only, Paths({"plugins.notifier.mail"}));
}

}  // namespace
}  // namespace signet::host
