// The plugin instances the configuration declares, created at start-up; a
// live reload may replace a notifier's object (its config changed), nothing
// else.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <signet/sdk.hpp>

#include "config/config.hpp"

namespace signet::host {

class HostServicesImpl;

struct PluginInstance {
  std::string name;
  PluginKind kind = PluginKind::ca;
  std::string plugin;
  std::string version;
  std::string library_path;
  std::uint64_t capabilities = 0;
  std::shared_ptr<Plugin> object;  // its deleter keeps the library loaded
  int sdk_minor = 0;               // what the plugin was built for: later minors' calls only when high enough
};

class PluginInstances {
 public:
  // Loads, checks and creates every instance of `config`. Every refusal is
  // one line in `errors` ("file:line: ..." or "library: reason"); the
  // result is usable only when `errors` stays empty.
  static PluginInstances create(const Config& config, HostServicesImpl& services, std::vector<std::string>& errors);

  // Loads and checks without creating anything: for `signet config check`.
  static void check(const Config& config, std::vector<std::string>& errors);
  // One instance of `config`, made anew (a reload's changed notifier).
  static std::optional<PluginInstance> create_one(const Config& config, const InstanceConfig& instance,
                                                  HostServicesImpl& services, std::vector<std::string>& errors);
  // Puts `made` in the place of the instance of its name: calls from now on
  // reach it; those under way finish with the object they hold.
  void replace(PluginInstance made);

  std::shared_ptr<CertificateAuthority> ca(const std::string& name) const;
  std::shared_ptr<SecretStore> store(const std::string& name) const;
  std::shared_ptr<Notifier> notifier(const std::string& name) const;
  std::shared_ptr<KeyProvider> keys(const std::string& name) const;
  // The instance's name, kind, plugin and capabilities (they never change);
  // its object through ca(), store(), notifier() or keys().
  const PluginInstance* find(const std::string& name) const;
  // Notifiers that also bring requests in (SDK 1.2, signet/intake.hpp), by
  // instance name; the pointers live as long as this object.
  std::vector<std::pair<std::string, RequestSource*>> request_sources() const;
  std::vector<PluginInstance> all() const;

 private:
  std::shared_ptr<Plugin> object_of(const std::string& name, PluginKind kind) const;

  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // guards each instance's object
  std::vector<PluginInstance> instances_;
};

std::uint32_t descriptor_kind(PluginKind kind);
std::string capability_list(std::uint32_t kind, std::uint64_t bits);

}  // namespace signet::host
