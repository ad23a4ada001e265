#include "config/yaml_json.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// YAML 1.2's core schema: quoted or tagged scalars stay text.
json scalar_from_yaml(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "?") return text;
  if (text == "true" || text == "false") return text == "true";
  if (text == "null" || text == "~") return nullptr;
  const json number = json::parse(text, nullptr, false);
  return number.is_number() ? number : json(text);
}

}  // namespace

json json_from_yaml(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = json_from_yaml(entry.second);
      return object;
    }
    case YAML::NodeType::Sequence: {
      json array = json::array();
      for (const auto& item : node) array.push_back(json_from_yaml(item));
      return array;
    }
    case YAML::NodeType::Scalar:
      return scalar_from_yaml(node);
    default:
      return nullptr;
  }
}

}  // namespace signet::host
