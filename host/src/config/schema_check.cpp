#include "config/json_schema_internal.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <regex>
#include <set>

namespace signet::host::json_schema_internal {

// ---------------------------------------------------------------- check_schema

namespace {

constexpr std::array<std::string_view, 6> kTypeNames = {"object", "array", "string", "integer", "number", "boolean"};

bool is_type_name(const json& name) {
  return name.is_string() &&
         std::find(kTypeNames.begin(), kTypeNames.end(), name.get_ref<const std::string&>()) != kTypeNames.end();
}

}  // namespace

bool is_ignored_keyword(std::string_view keyword) {
  return keyword == "description" || keyword == "title" || keyword == "$schema" || keyword == "examples" ||
         keyword == "default";
}

namespace {

std::string located(const std::string& message, const std::string& pointer) {
  return message + (pointer.empty() ? " at the schema root" : " at " + pointer);
}

std::optional<std::string> check_type(const json& type) {
  if (type.is_string()) {
    if (is_type_name(type)) return std::nullopt;
    return "unsupported type " + type.dump();
  }
  if (!type.is_array() || type.empty()) return "\"type\" must be a type name or a non-empty array of them";
  std::set<std::string> seen;
  for (const auto& name : type) {
    if (!is_type_name(name)) return "unsupported type " + name.dump();
    if (!seen.insert(name.get<std::string>()).second) return "type " + name.dump() + " is listed twice";
  }
  return std::nullopt;
}

std::optional<std::string> check_count(const json& value, std::string_view keyword) {
  if (value.is_number_unsigned()) return std::nullopt;
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return std::nullopt;
  return in_quotes(keyword) + " must be a non-negative integer";
}

std::optional<std::string> check_pattern(const json& pattern) {
  if (!pattern.is_string()) return "\"pattern\" must be a string";
  try {
    [[maybe_unused]] const std::regex compiled(pattern.get_ref<const std::string&>(), std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return "\"pattern\" " + pattern.dump() + " is not a valid regular expression: " + error.what();
  }
  return std::nullopt;
}

std::optional<std::string> check_required(const json& required) {
  if (!required.is_array()) return "\"required\" must be an array of property names";
  std::set<std::string> seen;
  for (const auto& name : required) {
    if (!name.is_string()) return "\"required\" must be an array of property names";
    if (!seen.insert(name.get<std::string>()).second) return "required key " + name.dump() + " is listed twice";
  }
  return std::nullopt;
}

// Errors from keywords that hold no subschema; the location is added by the caller.
std::optional<std::string> check_plain_keyword(const std::string& keyword, const json& value) {
  if (keyword == "type") return check_type(value);
  if (keyword == "required") return check_required(value);
  if (keyword == "pattern") return check_pattern(value);
  if (keyword == "additionalProperties") {
    if (value.is_boolean()) return std::nullopt;
    return "\"additionalProperties\" must be true or false (subschemas are not supported)";
  }
  if (keyword == "enum") {
    if (value.is_array() && !value.empty()) return std::nullopt;
    return "\"enum\" must be a non-empty array";
  }
  if (keyword == "minimum" || keyword == "maximum") {
    if (value.is_number()) return std::nullopt;
    return in_quotes(keyword) + " must be a number";
  }
  if (keyword == "minLength" || keyword == "maxLength" || keyword == "minItems" || keyword == "maxItems")
    return check_count(value, keyword);
  if (is_ignored_keyword(keyword)) return std::nullopt;
  return "unsupported keyword " + in_quotes(keyword);
}

std::optional<std::string> check_properties(const json& properties, const std::string& pointer) {
  if (!properties.is_object()) return located("\"properties\" must be an object", pointer);
  const std::string properties_pointer = child_pointer(pointer, "properties");
  for (const auto& [name, subschema] : properties.items()) {
    if (auto error = check_subschema(subschema, child_pointer(properties_pointer, name))) return error;
  }
  return std::nullopt;
}

// A closed object cannot hold a required key it does not declare, so such a
// schema can never be satisfied: almost certainly a typo by the plugin author.
std::optional<std::string> check_required_are_declared(const json& schema, const std::string& pointer) {
  const json* required = find_keyword(schema, "required");
  if (!required || allows_additional_properties(schema)) return std::nullopt;
  const json* properties = find_keyword(schema, "properties");
  for (const auto& name : *required) {
    if (!properties || !properties->contains(name.get<std::string>()))
      return located("required key " + name.dump() + " is not among the properties", pointer);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_subschema(const json& schema, const std::string& pointer) {
  if (!schema.is_object()) return located("a schema must be a JSON object", pointer);
  for (const auto& [keyword, value] : schema.items()) {
    if (keyword == "properties") {
      if (auto error = check_properties(value, pointer)) return error;
    } else if (keyword == "items") {
      if (auto error = check_subschema(value, child_pointer(pointer, "items"))) return error;
    } else if (auto error = check_plain_keyword(keyword, value)) {
      return located(*error, pointer);
    }
  }
  return check_required_are_declared(schema, pointer);
}

}  // namespace signet::host::json_schema_internal
