// The base every plugin instance derives from, and what its factory receives.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>
#include <signet/version.hpp>

namespace signet {

// Instances are shared by all worker threads at once: every method of every
// plugin interface must be thread-safe. Instances are built once from their
// configuration and never reconfigured; a reload builds new ones.
class SIGNET_SDK_API Plugin {
 public:
  virtual ~Plugin() = default;
  // Answers whether the instance can serve now (backing service reachable,
  // files readable). Feeds /ready; keep it cheap.
  virtual Result<void> health() { return {}; }
};

// Handed to a factory. `config` is the instance's `config:` section, already
// checked against the plugin's schema; `services` outlives the instance.
struct PluginContext {
  std::string instance_name;
  const nlohmann::json& config;
  HostServices& services;
};

}  // namespace signet
