#include "config/lifecycle_sections.hpp"

#include <algorithm>

#include "util/cron.hpp"

namespace signet::host {
namespace {

void read_retry(YamlSection retry, milliseconds& initial, milliseconds& max) {
  if (auto v = retry.duration("initial")) initial = *v;
  if (auto v = retry.duration("max")) max = *v;
  if (initial > max) retry.error(retry.line(), retry.where() + ".initial must not be longer than " + retry.where() + ".max");
  retry.finish();
}

void read_renewal(YamlSection r, RenewalConfig& out) {
  out.line = r.line();
  if (auto v = r.string("schedule")) {
    std::string error;
    if (CronSchedule::parse(*v, error)) out.schedule = *v;
    else r.error(line_of(r.node("schedule")), "renewal.schedule: " + error);
  }
  if (auto v = r.integer("batch", 1, 100000)) out.batch = static_cast<int>(*v);
  if (auto v = r.duration("request_wait")) out.request_wait = *v;
  read_retry(r.section("retry"), out.retry_initial, out.retry_max);
  r.finish();
}

void read_lifecycle(YamlSection l, LifecycleConfig& out) {
  out.line = l.line();
  if (auto v = l.duration("interval")) {
    if (*v < std::chrono::milliseconds(100)) l.error(line_of(l.node("interval")), "lifecycle.interval must be at least 100ms");
    else out.interval = *v;
  }
  if (auto v = l.integer("batch", 1, 100000)) out.batch = static_cast<int>(*v);
  if (l.has("expiry_warnings")) {
    const int line = line_of(l.node("expiry_warnings"));
    std::vector<milliseconds> warnings;
    for (const auto& text : l.strings("expiry_warnings")) {
      const auto d = parse_duration(text);
      if (!d || d->count() <= 0) l.error(line, "lifecycle.expiry_warnings: '" + text + "' is not a positive duration");
      else warnings.push_back(*d);
    }
    std::sort(warnings.begin(), warnings.end(), std::greater<>());
    warnings.erase(std::unique(warnings.begin(), warnings.end()), warnings.end());
    out.expiry_warnings = warnings;
  }
  l.finish();
}

void read_notifications(YamlSection n, NotificationsConfig& out) {
  out.line = n.line();
  if (auto v = n.duration("poll_interval")) out.poll_interval = *v;
  if (auto v = n.duration("give_up_after")) out.give_up_after = *v;
  if (auto v = n.duration("lease")) out.lease = *v;
  if (auto v = n.integer("concurrency", 1, 256)) out.concurrency = static_cast<int>(*v);
  read_retry(n.section("retry"), out.retry_initial, out.retry_max);
  n.finish();
}

void read_intake(YamlSection i, IntakeConfig& out) {
  if (auto v = i.duration("poll_interval")) out.poll_interval = *v;
  if (auto v = i.integer("batch", 1, 1000)) out.batch = static_cast<int>(*v);
  i.finish();
}

}  // namespace

void read_lifecycle_sections(YamlSection& top, Config& out) {
  read_renewal(top.section("renewal"), out.renewal);
  read_lifecycle(top.section("lifecycle"), out.lifecycle);
  read_notifications(top.section("notifications"), out.notifications);
  read_intake(top.section("intake"), out.intake);
  YamlSection secrets = top.section("secrets");
  out.secrets.line = secrets.line();
  if (auto v = secrets.string("store")) out.secrets.store = *v;
  out.secrets.notify = secrets.strings("notify");
  secrets.finish();
}

void check_lifecycle_sections(ConfigIssues& issues, const Config& config) {
  for (const auto& n : config.secrets.notify) {
    const InstanceConfig* instance = config.instance(n);
    if (!instance || instance->kind != PluginKind::notifier)
      issues.add(config.secrets.line, "secrets.notify: \"" + n + "\" is not a notifier instance");
  }
  const std::string& store = config.secrets.store;
  if (store.empty()) return;
  const InstanceConfig* instance = config.instance(store);
  if (!instance) issues.add(config.secrets.line, "secrets.store names unknown instance \"" + store + "\"");
  else if (instance->kind != PluginKind::store)
    issues.add(config.secrets.line, "secrets.store needs a store instance, but \"" + store + "\" is a " + to_string(instance->kind));
}

}  // namespace signet::host
