#include "plugins/instances.hpp"

#include <map>

#include "config/json_schema.hpp"
#include "config/yaml_section.hpp"
#include "plugins/loader.hpp"
#include "services/host_services.hpp"

namespace signet::host {
namespace {

// Capabilities that pipelines need from the instances they name.
std::vector<std::string> implied_capabilities(const Config& config, const std::string& instance) {
  std::vector<std::string> needed;
  const auto revoke = config.pipelines.find("revoke");
  if (revoke != config.pipelines.end() && revoke->second.sign == instance) needed.push_back("revoke");
  return needed;
}

std::optional<std::uint64_t> capability_bit(std::uint32_t kind, const std::string& name) {
  for (const auto& c : capability_names)
    if (c.kind == kind && c.name == name) return c.bit;
  return std::nullopt;
}

// One instance's preparation: library found, descriptor checked, config
// converted. `converted` holds the config and its line map.
struct Prepared {
  const InstanceConfig* config = nullptr;
  PluginLibrary library;
  Converted converted;
};

class Preparer {
 public:
  Preparer(const Config& config, std::vector<std::string>& errors) : config_(config), errors_(errors) {}

  std::optional<Prepared> prepare(const InstanceConfig& instance) {
    const auto library = locate_and_open(instance);
    if (!library) return std::nullopt;
    const auto& d = *library->descriptor;
    if (d.name != instance.plugin && instance.library.empty())
      return fail(instance, library->path + ": holds plugin \"" + std::string(d.name) + "\", not \"" + instance.plugin + "\"");
    if (d.kind != descriptor_kind(instance.kind))
      return fail(instance, library->path + ": is a " + std::string(kind_name(d.kind)) + " plugin, used as " +
                                std::string(to_string(instance.kind)) + " instance \"" + instance.name + "\"");
    if (!check_capabilities(instance, *library)) return std::nullopt;
    auto converted = convert_config(instance, *library);
    if (!converted) return std::nullopt;
    return Prepared{&instance, *library, std::move(*converted)};
  }

  std::string where(const InstanceConfig& instance, int line = 0) const {
    return config_.file + ":" + std::to_string(line ? line : instance.line) + ": instance \"" + instance.name + "\": ";
  }

  std::nullopt_t fail(const InstanceConfig& instance, const std::string& message) {
    errors_.push_back(where(instance) + message);
    return std::nullopt;
  }

 private:
  std::optional<PluginLibrary> locate_and_open(const InstanceConfig& instance) {
    std::string path = instance.library;
    if (path.empty()) {
      const auto found = find_plugin_file(config_.plugin_dirs, instance.plugin);
      if (!found) {
        std::string dirs;
        for (const auto& d : config_.plugin_dirs) dirs += (dirs.empty() ? "" : ", ") + d;
        return fail(instance, "no plugin file " + instance.plugin + ".so in " + dirs);
      }
      path = *found;
    }
    const auto cached = opened_.find(path);
    if (cached != opened_.end()) return cached->second;
    auto opened = open_plugin(path);
    if (!opened) return fail(instance, opened.error().message);
    opened_.emplace(path, opened.value());
    return opened.value();
  }

  bool check_capabilities(const InstanceConfig& instance, const PluginLibrary& library) {
    auto wanted = instance.required_capabilities;
    for (auto& c : implied_capabilities(config_, instance.name)) wanted.push_back(c);
    bool ok = true;
    for (const auto& name : wanted) {
      const auto bit = capability_bit(library.descriptor->kind, name);
      if (!bit) {
        fail(instance, "unknown capability \"" + name + "\" for a " + std::string(to_string(instance.kind)) + " plugin");
        ok = false;
      } else if ((library.descriptor->capabilities & *bit) == 0) {
        fail(instance, library.path + ": does not offer capability \"" + name + "\" (offers: " +
                           capability_list(library.descriptor->kind, library.descriptor->capabilities) + ")");
        ok = false;
      }
    }
    return ok;
  }

  std::optional<Converted> convert_config(const InstanceConfig& instance, const PluginLibrary& library) {
    const char* schema_text = library.descriptor->config_schema;
    const auto schema = nlohmann::json::parse(schema_text ? schema_text : "{\"type\":\"object\"}", nullptr, false);
    if (schema.is_discarded()) return fail(instance, library.path + ": the plugin's config schema is not JSON");
    if (auto bad = check_schema(schema)) return fail(instance, library.path + ": the plugin's config schema: " + *bad);
    Converted converted = convert_with_schema(instance.config, schema, instance.line);
    for (const auto& p : converted.problems)
      errors_.push_back(where(instance, p.line) + "config" + p.pointer + ": " + p.message);
    if (!converted.problems.empty()) return std::nullopt;
    return converted;
  }

  const Config& config_;
  std::vector<std::string>& errors_;
  std::map<std::string, PluginLibrary> opened_;
};

// Wraps the plugin's object so that the library stays loaded while it lives.
std::shared_ptr<Plugin> hold_library(std::shared_ptr<Plugin> object, std::shared_ptr<boost::dll::shared_library> lib) {
  Plugin* raw = object.get();
  return std::shared_ptr<Plugin>(raw, [object = std::move(object), lib = std::move(lib)](Plugin*) mutable {
    object.reset();  // destroy with the plugin's own code first,
    lib.reset();     // then let go of the library
  });
}

// The plugin names problems by JSON pointer; the line map turns them into lines.
std::string problem_lines(const Error& error, const Prepared& p, const Preparer& preparer) {
  std::string out;
  for (const auto& problem : error.problems)
    out += (out.empty() ? "" : "\n") + preparer.where(*p.config, p.converted.lines.line_of(problem.path)) +
           "config" + problem.path + ": " + problem.message;
  return out;
}

}  // namespace

std::uint32_t descriptor_kind(PluginKind kind) {
  switch (kind) {
    case PluginKind::ca: return SIGNET_KIND_CA;
    case PluginKind::store: return SIGNET_KIND_STORE;
    case PluginKind::notifier: return SIGNET_KIND_NOTIFIER;
    case PluginKind::keys: return SIGNET_KIND_KEYS;
  }
  return 0;
}

std::string capability_list(std::uint32_t kind, std::uint64_t bits) {
  std::string out;
  for (const auto& c : capability_names)
    if (c.kind == kind && (bits & c.bit)) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out.empty() ? "none" : out;
}

void PluginInstances::check(const Config& config, std::vector<std::string>& errors) {
  Preparer preparer(config, errors);
  for (const auto& instance : config.instances) (void)preparer.prepare(instance);
}

namespace {

std::optional<PluginInstance> make_instance(Preparer& preparer, const InstanceConfig& instance,
                                            HostServicesImpl& services, std::vector<std::string>& errors) {
  auto prepared = preparer.prepare(instance);
  if (!prepared) return std::nullopt;
  const PluginContext context{instance.name, prepared->converted.value, services};
  auto made = prepared->library.descriptor->create(context);
  if (!made) {
    const Error& error = made.error();
    if (!error.problems.empty()) errors.push_back(problem_lines(error, *prepared, preparer));
    else preparer.fail(instance, "the plugin refused to start: " + error.message);
    return std::nullopt;
  }
  return PluginInstance{instance.name, instance.kind, instance.plugin, prepared->library.descriptor->plugin_version,
                        prepared->library.path, prepared->library.descriptor->capabilities,
                        hold_library(std::move(made).value(), prepared->library.library),
                        static_cast<int>(prepared->library.descriptor->sdk_minor)};
}

}  // namespace

PluginInstances PluginInstances::create(const Config& config, HostServicesImpl& services,
                                        std::vector<std::string>& errors) {
  PluginInstances out;
  Preparer preparer(config, errors);
  // Instances of kind keys come first in config.instances, so other
  // factories can look them up.
  for (const auto& instance : config.instances) {
    auto entry = make_instance(preparer, instance, services, errors);
    if (!entry) {
      if (instance.kind == PluginKind::keys) services.register_failed_key_provider(instance.name);
      continue;
    }
    if (instance.kind == PluginKind::keys)
      services.register_key_provider(instance.name, std::static_pointer_cast<KeyProvider>(entry->object));
    out.instances_.push_back(std::move(*entry));
  }
  return out;
}

std::optional<PluginInstance> PluginInstances::create_one(const Config& config, const InstanceConfig& instance,
                                                          HostServicesImpl& services, std::vector<std::string>& errors) {
  Preparer preparer(config, errors);
  return make_instance(preparer, instance, services, errors);
}

void PluginInstances::replace(PluginInstance made) {
  const std::lock_guard lock(*mutex_);
  for (auto& i : instances_)
    if (i.name == made.name) i.object = std::move(made.object);
}

std::vector<PluginInstance> PluginInstances::all() const {
  const std::lock_guard lock(*mutex_);
  return instances_;
}

std::shared_ptr<Plugin> PluginInstances::object_of(const std::string& name, PluginKind kind) const {
  const std::lock_guard lock(*mutex_);
  for (const auto& i : instances_)
    if (i.name == name && i.kind == kind) return i.object;
  return nullptr;
}

std::vector<std::pair<std::string, RequestSource*>> PluginInstances::request_sources() const {
  std::vector<std::pair<std::string, RequestSource*>> out;
  const std::lock_guard lock(*mutex_);
  for (const auto& i : instances_) {
    // Older plugins have no vtable slot for request_source().
    if (i.kind != PluginKind::notifier || i.sdk_minor < 2) continue;
    if (RequestSource* source = static_cast<Notifier*>(i.object.get())->request_source())
      out.emplace_back(i.name, source);
  }
  return out;
}

const PluginInstance* PluginInstances::find(const std::string& name) const {
  for (const auto& i : instances_)
    if (i.name == name) return &i;
  return nullptr;
}

// The kind was checked against the descriptor when the instance was made.
std::shared_ptr<CertificateAuthority> PluginInstances::ca(const std::string& n) const {
  return std::static_pointer_cast<CertificateAuthority>(object_of(n, PluginKind::ca));
}
std::shared_ptr<SecretStore> PluginInstances::store(const std::string& n) const {
  return std::static_pointer_cast<SecretStore>(object_of(n, PluginKind::store));
}
std::shared_ptr<Notifier> PluginInstances::notifier(const std::string& n) const {
  return std::static_pointer_cast<Notifier>(object_of(n, PluginKind::notifier));
}
std::shared_ptr<KeyProvider> PluginInstances::keys(const std::string& n) const {
  return std::static_pointer_cast<KeyProvider>(object_of(n, PluginKind::keys));
}

}  // namespace signet::host
