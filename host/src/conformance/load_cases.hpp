// The cases every plugin meets first: its library and descriptor, its
// config schema, and the creation of an instance from the given config.
#pragma once

#include <optional>

#include "conformance/suite.hpp"
#include "plugins/loader.hpp"

namespace signet::host::conformance {

// Runs descriptor.* and returns the library when the host would load it.
std::optional<PluginLibrary> run_descriptor_cases(Suite& suite);

// Runs config.* and instance.create; sets suite.instance
// when the plugin made one. `config` is the instance config as the host
// converted it, kept alive by the caller for the instance's lifetime.
bool run_instance_cases(Suite& suite, const PluginLibrary& library, nlohmann::json& config);

}  // namespace signet::host::conformance
