#include "plugins/loader.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>

namespace signet::host {
namespace fs = std::filesystem;
namespace {

Error refusal(const std::string& path, const std::string& reason) {
  return make_error(ErrorCode::invalid_config, path + ": " + reason);
}

bool valid_kind(std::uint32_t kind) { return kind >= SIGNET_KIND_CA && kind <= SIGNET_KIND_KEYS; }

constexpr std::size_t kFrozenSize = offsetof(signet_plugin_descriptor, capabilities) + sizeof(std::uint64_t);

// The descriptor size a plugin of SDK 1.<minor> must have: the fields its
// minor defines, not more (a later host's descriptor may be longer).
std::size_t required_size(std::uint16_t minor) {
  (void)minor;  // 1.0 defines the fields up to `create`; later minors add cases
  return offsetof(signet_plugin_descriptor, create) + sizeof(signet::CreateFn);
}

}  // namespace

std::string PluginLibrary::sdk_version() const {
  return std::to_string(descriptor->sdk_major) + "." + std::to_string(descriptor->sdk_minor);
}

namespace {

std::optional<std::string> frozen_size_refusal(const signet_plugin_descriptor& d) {
  if (d.struct_size < kFrozenSize) return "corrupt descriptor (struct_size " + std::to_string(d.struct_size) + ")";
  return std::nullopt;
}

std::string version_of(const signet_plugin_descriptor& d) {
  return std::to_string(d.sdk_major) + "." + std::to_string(d.sdk_minor);
}

std::optional<std::string> sdk_version_refusal(const signet_plugin_descriptor& d) {
  const std::string ours = std::to_string(SIGNET_SDK_MAJOR) + "." + std::to_string(SIGNET_SDK_MINOR);
  if (d.sdk_major != SIGNET_SDK_MAJOR)
    return "built for SDK " + version_of(d) + ", this host speaks SDK major " + std::to_string(SIGNET_SDK_MAJOR) + " (" + ours + ")";
  if (d.sdk_minor > SIGNET_SDK_MINOR) return "built for SDK " + version_of(d) + ", newer than this host's SDK " + ours;
  return std::nullopt;
}

std::optional<std::string> build_key_refusal(const signet_plugin_descriptor& d) {
  const std::string key = d.build_key ? d.build_key : "";
  if (key != SIGNET_BUILD_KEY) return "build key \"" + key + "\" differs from the host's \"" SIGNET_BUILD_KEY "\"";
  return std::nullopt;
}

std::optional<std::string> fields_refusal(const signet_plugin_descriptor& d) {
  if (d.struct_size < required_size(d.sdk_minor)) return "descriptor too small for SDK " + version_of(d);
  if (!d.name || !*d.name) return "descriptor has no plugin name";
  if (!d.plugin_version || !*d.plugin_version) return "descriptor has no plugin version";
  if (!valid_kind(d.kind)) return "unknown plugin kind " + std::to_string(d.kind);
  if (!d.create) return "descriptor has no factory";
  return std::nullopt;
}

constexpr DescriptorRule kRules[] = {
    {"size", frozen_size_refusal},
    {"sdk_version", sdk_version_refusal},
    {"build_key", build_key_refusal},
    {"fields", fields_refusal},
};

}  // namespace

std::span<const DescriptorRule> descriptor_rules() { return kRules; }

std::optional<std::string> descriptor_refusal(const signet_plugin_descriptor& d) {
  for (const auto& rule : kRules)
    if (auto reason = rule.refusal(d)) return reason;
  return std::nullopt;
}

Result<PluginLibrary> open_library(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return refusal(path, "no such plugin file");
  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code load_error;
  library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_error);
  if (load_error) return refusal(path, "cannot be loaded: " + load_error.message());
  if (!library->has(SIGNET_PLUGIN_ENTRY_NAME))
    return refusal(path, "not a Signet plugin (no " SIGNET_PLUGIN_ENTRY_NAME " entry symbol)");
  const auto& entry = library->get_alias<const signet_plugin_descriptor*()>(SIGNET_PLUGIN_ENTRY_NAME);
  const signet_plugin_descriptor* descriptor = entry();
  if (!descriptor) return refusal(path, "the entry symbol returned no descriptor");
  return PluginLibrary{path, std::move(library), descriptor};
}

Result<PluginLibrary> open_plugin(const std::string& path) {
  auto opened = open_library(path);
  if (!opened) return opened;
  if (auto reason = descriptor_refusal(*opened->descriptor)) return refusal(path, *reason);
  return opened;
}

std::optional<std::string> find_plugin_file(const std::vector<std::string>& dirs, const std::string& plugin) {
  for (const auto& dir : dirs) {
    const fs::path candidate = fs::path(dir) / (plugin + ".so");
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate.lexically_normal().string();
  }
  return std::nullopt;
}

std::vector<std::string> list_plugin_files(const std::vector<std::string>& dirs) {
  std::vector<std::string> files;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".so")
        files.push_back(entry.path().lexically_normal().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace signet::host
