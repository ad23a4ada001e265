// Internal to config/json_schema*: what the files behind json_schema.hpp share
// with each other, and nothing else. Callers include config/json_schema.hpp.
//   json_schema.cpp        LineMap, the public functions, the shared helpers
//   schema_check.cpp       check_schema's keyword whitelist
//   yaml_conversion.cpp    scalars, YAML nodes, types, the Converter, defaults
//   schema_validation.cpp  validation by valijson (its only includer)
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/json_schema.hpp"

namespace signet::host::json_schema_internal {

using nlohmann::json;

// ---------------------------------------------------------------- shared (json_schema.cpp)

const json* find_keyword(const json& schema, std::string_view keyword);
std::string child_pointer(std::string_view parent, std::string_view token);
std::string in_quotes(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
bool allows_additional_properties(const json& schema);

// ---------------------------------------------------------------- check_schema (schema_check.cpp)

bool is_ignored_keyword(std::string_view keyword);
std::optional<std::string> check_subschema(const json& schema, const std::string& pointer);

// ---------------------------------------------------------------- YAML nodes (yaml_conversion.cpp)

enum class NodeKind { missing, null, scalar, sequence, map };

NodeKind kind_of(const YAML::Node& node);
bool is_empty(NodeKind kind);
int mark_line(const YAML::Node& node);

// ---------------------------------------------------------------- types (yaml_conversion.cpp)

using Types = std::vector<std::string>;  // empty: any type

Types type_names(const json& type);
Types types_of(const json& schema);
bool wants_object(const json& schema, const Types& types);
std::string describe_types(const Types& types);
std::string describe_enum_value(const json& value);

// ---------------------------------------------------------------- conversion (yaml_conversion.cpp)

// Where a value sits: its JSON pointer, the name messages give it
// ("endpoint.url", "hosts[2]"), and the line of problems with the value.
struct Place {
  std::string pointer;
  std::string name;
  int line = 0;
};

std::string display_name(const Place& place);
Place place_of_key(const Place& parent, const std::string& key, int line);
std::string unknown_key_message(const Place& child, const json* properties);

struct Entry {
  std::string key;
  int key_line = 0;
  YAML::Node value;
};

// What validation needs from the conversion besides the value.
struct ConversionRecord {
  // Place::line of every converted value: the line of its problems. LineMap has the key's line, which differs
  // when the value starts on a line of its own ("url:" then "  host: x" is a wrong url at line 2).
  std::map<std::string, int, std::less<>> value_lines;
  // Values already reported as unconvertible; their leftovers (kept for their lines) are not validated.
  std::set<std::string, std::less<>> failed;
};

// Turns YAML into JSON typed by the schema. It reports what only the YAML shows: values that cannot have the
// schema's type, unknown, duplicate and non-text keys, and unresolvable ${env:} and ${file:} references. The
// keywords that constrain typed values are valijson's (Validation in schema_validation.cpp).
class Converter {
 public:
  explicit Converter(Converted& out) : out_(out) {}

  json convert(const YAML::Node& node, const json& schema, const Place& place);
  const ConversionRecord& record() const { return record_; }

 private:
  json convert_object(const YAML::Node& node, const json& schema, const Place& place);
  json convert_array(const YAML::Node& node, const json& schema, const Place& place);
  json convert_untyped(const YAML::Node& node, const Place& place);
  std::optional<json> convert_scalar(const YAML::Node& node, const Types& types, const Place& place);
  std::optional<std::string> resolved_text(const YAML::Node& node, const Place& place);
  std::vector<Entry> entries_of(const YAML::Node& map, const Place& place);
  void report_unknown_key(const Place& child, const json* properties);

  void report(const std::string& pointer, int line, std::string message) {
    out_.problems.push_back({pointer, line, std::move(message)});
  }
  void report(const Place& place, std::string message) { report(place.pointer, place.line, std::move(message)); }
  void report_failed(const Place& place, std::string message) {
    record_.failed.insert(place.pointer);
    report(place, std::move(message));
  }

  Converted& out_;
  ConversionRecord record_;
};

// ---------------------------------------------------------------- defaults (yaml_conversion.cpp)

void fill_defaults_throughout(json& value, const json& schema);

// ---------------------------------------------------------------- validation (schema_validation.cpp)

// Validation::run: valijson over a converted value (defaults not yet filled), its errors worded as Signet's
// problems. validate_json passes an empty record and LineMap.
std::vector<SchemaProblem> validate(const json& schema, const json& value, const ConversionRecord& record,
                                    const LineMap& lines);

}  // namespace signet::host::json_schema_internal
