// Opens plugin libraries with Boost.DLL and checks their descriptor before
// anything else in them runs (docs/plugin-authoring.md, "ABI and versions").
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <signet/descriptor.hpp>

namespace signet::host {

struct PluginLibrary {
  std::string path;
  // Held by every instance the library made: it is unloaded only after the
  // last of them is gone (and in practice not before shutdown).
  std::shared_ptr<boost::dll::shared_library> library;
  const signet_plugin_descriptor* descriptor = nullptr;

  std::string name() const { return descriptor->name; }
  std::string sdk_version() const;
};

// Opens `path` and checks its descriptor; on refusal the error message is
// one line "PATH: reason".
Result<PluginLibrary> open_plugin(const std::string& path);
// Opens `path` and finds its descriptor without checking it (the
// conformance kit checks it rule by rule); refusals as open_plugin's.
Result<PluginLibrary> open_library(const std::string& path);

// Checks a descriptor against this host's SDK version and build key.
std::optional<std::string> descriptor_refusal(const signet_plugin_descriptor& d);

// The checks descriptor_refusal applies, in its order, each under a topic
// ("size", "sdk_version", "build_key", "fields") the conformance kit names
// its cases after. A rule runs only after those before it passed.
struct DescriptorRule {
  const char* topic;
  std::optional<std::string> (*refusal)(const signet_plugin_descriptor& d);
};
std::span<const DescriptorRule> descriptor_rules();

// <dir>/<plugin>.so in the first directory that has it.
std::optional<std::string> find_plugin_file(const std::vector<std::string>& dirs, const std::string& plugin);
// Every *.so in the directories, sorted.
std::vector<std::string> list_plugin_files(const std::vector<std::string>& dirs);

}  // namespace signet::host
