#include "config/reload_plan.hpp"

#include <cstdlib>
#include <set>

namespace signet::host {
namespace {

using nlohmann::json;

const json& member(const json& object, const std::string& key) {
  static const json kAbsent = json::object();  // an absent section is the empty one
  if (!object.is_object()) return kAbsent;
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? kAbsent : *it;
}

std::set<std::string> keys_of(const json& a, const json& b) {
  std::set<std::string> keys;
  for (const json* side : {&a, &b})
    if (side->is_object())
      for (const auto& [key, _] : side->items()) keys.insert(key);
  return keys;
}

json without(json object, std::initializer_list<const char*> keys) {
  if (object.is_object())
    for (const char* key : keys) object.erase(key);
  return object;
}

class Planner {
 public:
  Planner(const json& running, const json& next) : running_(running), next_(next) {}

  ReloadPlan plan() {
    for (const auto& key : keys_of(running_, next_)) {
      const json& a = member(running_, key);
      const json& b = member(next_, key);
      if (key == "log_level" || key == "profiles" || key == "notifications") live(key, a, b);
      else if (key == "server") server(a, b);
      else if (key == "tenants") tenants(a, b);
      else if (key == "plugins") plugins(a, b);
      else if (a != b) out_.restart_only.push_back(key);
    }
    return out_;
  }

 private:
  void live(const std::string& path, const json& a, const json& b) {
    if (a != b) out_.live.push_back(path);
  }

  // server.tls's files and mode apply live; whether TLS is on at all, and
  // how client certificates are checked, do not.
  void server(const json& a, const json& b) {
    for (const auto& key : keys_of(a, b)) {
      const json& x = member(a, key);
      const json& y = member(b, key);
      if (key == "rate_limits") {
        live("server.rate_limits", x, y);
      } else if (key == "tls") {
        for (const char* fixed : {"enabled", "client_auth"})
          if (member(x, fixed) != member(y, fixed)) out_.restart_only.push_back(std::string("server.tls.") + fixed);
        live("server.tls", without(x, {"enabled", "client_auth"}), without(y, {"enabled", "client_auth"}));
      } else if (x != y) {
        out_.restart_only.push_back("server." + key);
      }
    }
  }

  // A tenant's profiles apply live, as does a new tenant with nothing else;
  // its own pipelines need a restart.
  void tenants(const json& a, const json& b) {
    bool profiles_changed = false;
    for (const auto& slug : keys_of(a, b)) {
      const json& x = member(a, slug);
      const json& y = member(b, slug);
      if (without(x, {"profiles"}) != without(y, {"profiles"})) out_.restart_only.push_back("tenants." + slug);
      else if (x != y || a.contains(slug) != b.contains(slug)) profiles_changed = true;
    }
    if (profiles_changed) out_.live.push_back("tenants");
  }

  // A notifier instance's config applies live (the instance is made anew);
  // any other change to plugins needs a restart.
  void plugins(const json& a, const json& b) {
    for (const auto& key : keys_of(a, b)) {
      const json& x = member(a, key);
      const json& y = member(b, key);
      if (key != "notifier") {
        if (x != y) out_.restart_only.push_back("plugins." + key);
        continue;
      }
      for (const auto& name : keys_of(x, y)) {
        const json& i = member(x, name);
        const json& j = member(y, name);
        if (i == j) continue;
        if (!x.contains(name) || !y.contains(name) || without(i, {"config"}) != without(j, {"config"}))
          out_.restart_only.push_back("plugins.notifier." + name);
        else
          out_.notifiers.push_back(name), out_.live.push_back("plugins.notifier." + name);
      }
    }
  }

  const json& running_;
  const json& next_;
  ReloadPlan out_;
};

}  // namespace

ReloadPlan plan_reload(const json& running, const json& next) { return Planner(running, next).plan(); }

std::string reload_status_path(const std::string& data_dir) {
  const char* runtime = std::getenv("RUNTIME_DIRECTORY");  // "a:b" when the unit names several
  const std::string dir = runtime && *runtime ? std::string(runtime).substr(0, std::string(runtime).find(':')) : data_dir;
  return dir + "/reload.json";
}

}  // namespace signet::host
