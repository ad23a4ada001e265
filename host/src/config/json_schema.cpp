#include "config/json_schema.hpp"

#include "config/json_schema_internal.hpp"

#include <algorithm>
#include <utility>

namespace signet::host {

namespace json_schema_internal {

// ---------------------------------------------------------------- shared

const json* find_keyword(const json& schema, std::string_view keyword) {
  if (!schema.is_object()) return nullptr;
  const auto found = schema.find(keyword);
  return found == schema.end() ? nullptr : &*found;
}

namespace {

std::string escape_pointer_token(std::string_view token) {
  std::string escaped;
  for (const char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace

std::string child_pointer(std::string_view parent, std::string_view token) {
  return std::string(parent) + "/" + escape_pointer_token(token);
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string joined;
  for (const auto& part : parts) {
    if (!joined.empty()) joined += separator;
    joined += part;
  }
  return joined;
}

bool allows_additional_properties(const json& schema) {
  const json* additional = find_keyword(schema, "additionalProperties");
  return additional && additional->is_boolean() && additional->get<bool>();
}

}  // namespace json_schema_internal

using nlohmann::json;
using namespace json_schema_internal;

// ---------------------------------------------------------------- LineMap

void LineMap::set(std::string pointer, int line) {
  if (line < 1) return;
  lines_.insert_or_assign(std::move(pointer), line);
}

int LineMap::line_of(std::string_view pointer) const {
  for (;;) {
    if (const auto found = lines_.find(pointer); found != lines_.end()) return found->second;
    if (pointer.empty()) return 0;
    const std::size_t slash = pointer.rfind('/');
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(0, slash);
  }
}

// ---------------------------------------------------------------- public functions

std::optional<std::string> check_schema(const json& schema) { return check_subschema(schema, ""); }

std::optional<std::string> parse_schema(std::string_view text, json& schema) {
  try {
    schema = json::parse(text);
  } catch (const json::parse_error& error) {
    return std::string("the schema is not valid JSON: ") + error.what();
  }
  return check_schema(schema);
}

Converted convert_with_schema(const YAML::Node& node, const json& schema, int key_line) {
  Converted converted;
  if (auto error = check_schema(schema)) {
    converted.problems.push_back({"", 0, "the plugin's configuration schema is invalid: " + *error});
    return converted;
  }
  const int line = is_empty(kind_of(node)) ? key_line : mark_line(node);
  converted.lines.set("", line);
  Converter converter(converted);
  converted.value = converter.convert(node, schema, Place{"", "", line});
  auto validated = validate(schema, converted.value, converter.record(), converted.lines);
  converted.problems.insert(converted.problems.end(), validated.begin(), validated.end());
  std::stable_sort(converted.problems.begin(), converted.problems.end(),
                   [](const SchemaProblem& a, const SchemaProblem& b) { return a.line < b.line; });
  fill_defaults_throughout(converted.value, schema);
  return converted;
}

std::vector<SchemaProblem> validate_json(const json& value, const json& schema) {
  if (auto error = check_schema(schema)) return {{"", 0, "the plugin's configuration schema is invalid: " + *error}};
  return validate(schema, value, ConversionRecord{}, LineMap{});
}

}  // namespace signet::host
