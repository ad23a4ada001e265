// Builds the immutable pipelines of every configured operation.
#pragma once

#include "config/config.hpp"
#include "db/database.hpp"
#include "pipeline/pipeline.hpp"
#include "plugins/instances.hpp"

namespace signet::host {

// Phases in the host's fixed order: validate → sign → store → record →
// notify → audit. Config picks the steps inside a phase, never the order of
// phases, and cannot drop audit. Authentication and authorization happen
// before a request is created.
// A tenant with pipelines of its own (tenants.<slug>.pipelines) gets them
// under "<op>@<tenant id>"; `tenant_ids` maps slugs to ids.
Pipelines build_pipelines(const Config& config, const PluginInstances& instances,
                          const std::map<std::string, std::string>& tenant_ids = {});

}  // namespace signet::host
