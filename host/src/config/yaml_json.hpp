// YAML as JSON without a schema: maps become objects (keys sorted, so two
// documents that differ only in key order compare equal), plain scalars
// that read as booleans, null or numbers become those, everything else text.
// For hand-written documents (the OpenAPI description) and for comparing
// configurations; the configuration itself is typed by its schema instead
// (config/json_schema.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace signet::host {

nlohmann::json json_from_yaml(const YAML::Node& node);

}  // namespace signet::host
