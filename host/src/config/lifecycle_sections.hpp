// The lifecycle sections of the configuration: renewal, lifecycle,
// notifications and secrets (docs/configuration.md).
#pragma once

#include "config/config.hpp"
#include "config/yaml_section.hpp"

namespace signet::host {

void read_lifecycle_sections(YamlSection& top, Config& out);
// After the plugins are read: the instances these sections name.
void check_lifecycle_sections(ConfigIssues& issues, const Config& config);

}  // namespace signet::host
