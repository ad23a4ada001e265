// The instance configuration of a plugin: the JSON Schema subset a plugin
// declares in its descriptor, and the conversion of the operator's YAML into
// JSON guided by that schema. YAML scalars carry no type, so the schema
// decides whether "8443" is an integer or a string. Every problem keeps its
// YAML line, and a LineMap gives lines to the JSON pointers that plugins use
// when they report problems of their own later.
//
// The schema is a subset of JSON Schema draft-07, whatever its "$schema"
// says; the keywords are checked by valijson (SchemaParser::kDraft7) after
// the conversion. Supported keywords: type (object, array, string, integer,
// number, boolean, or an array of those), properties, required,
// additionalProperties (true or false; false when absent), items, enum,
// minimum, maximum, minLength, maxLength, minItems, maxItems, pattern
// (ECMAScript, searched anywhere in the string), default (filled in, never
// checked); description, title, $schema and examples are ignored. Any other
// keyword makes the schema invalid. Where this departs from draft-07 is listed
// in docs/plugin-authoring.md, "Instance configuration schema", and checked
// against the official JSON-Schema-Test-Suite in json_schema_suite_test.cpp.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace signet::host {

struct SchemaProblem {
  std::string pointer;  // JSON pointer of the value concerned; "" is the whole config
  int line = 0;         // 1-based; 0 when unknown
  std::string message;
};

// Lines of the YAML behind JSON pointers ("/endpoint/url", "/items/0").
class LineMap {
 public:
  // Lines below 1 are not stored, so lookups fall back to an ancestor.
  void set(std::string pointer, int line);

  // The line of `pointer`, else of its longest known ancestor ("/a/b/3"
  // tries "/a/b", "/a", then ""), else 0.
  int line_of(std::string_view pointer) const;

 private:
  std::map<std::string, int, std::less<>> lines_;
};

struct Converted {
  nlohmann::json value;
  LineMap lines;
  std::vector<SchemaProblem> problems;  // ordered by line
};

// Returns why `schema` is not a schema this host understands: an unsupported
// keyword or type, or a keyword with a malformed value.
std::optional<std::string> check_schema(const nlohmann::json& schema);

// Parses a descriptor's schema text into `schema` and checks it; returns an
// error message when the text is not valid JSON or check_schema rejects it.
std::optional<std::string> parse_schema(std::string_view text, nlohmann::json& schema);

// Converts an instance's `config:` node and validates it, reporting every
// problem rather than the first. A null or missing node is an empty mapping
// when the schema wants an object. `key_line` is the line of the `config:`
// key: yaml-cpp places the mark of an empty value after it, so problems of an
// empty section are reported there instead (0 when unknown).
Converted convert_with_schema(const YAML::Node& node, const nlohmann::json& schema, int key_line = 0);

// Validates a value that is JSON already: convert_with_schema's checks after
// the conversion (objects closed unless additionalProperties is true; only
// the first unknown key of an object is named). The problems carry no lines.
// For the official test suite, whose data is JSON.
std::vector<SchemaProblem> validate_json(const nlohmann::json& value, const nlohmann::json& schema);

}  // namespace signet::host
