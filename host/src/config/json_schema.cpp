#include "config/json_schema.hpp"

#include "config/yaml_section.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <regex>
#include <set>
#include <system_error>
#include <utility>

namespace signet::host {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------- shared

constexpr std::array<std::string_view, 6> kTypeNames = {"object", "array", "string", "integer", "number", "boolean"};

const json* find_keyword(const json& schema, std::string_view keyword) {
  if (!schema.is_object()) return nullptr;
  const auto found = schema.find(keyword);
  return found == schema.end() ? nullptr : &*found;
}

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

bool is_required(const json& schema, std::string_view key) {
  const json* required = find_keyword(schema, "required");
  if (!required || !required->is_array()) return false;
  return std::any_of(required->begin(), required->end(),
                     [&](const json& name) { return name.is_string() && name.get_ref<const std::string&>() == key; });
}

bool allows_additional_properties(const json& schema) {
  const json* additional = find_keyword(schema, "additionalProperties");
  return additional && additional->is_boolean() && additional->get<bool>();
}

// ---------------------------------------------------------------- check_schema

bool is_type_name(const json& name) {
  return name.is_string() &&
         std::find(kTypeNames.begin(), kTypeNames.end(), name.get_ref<const std::string&>()) != kTypeNames.end();
}

bool is_ignored_keyword(std::string_view keyword) {
  return keyword == "description" || keyword == "title" || keyword == "$schema" || keyword == "examples" ||
         keyword == "default";
}

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

std::optional<std::string> check_subschema(const json& schema, const std::string& pointer);

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

// ---------------------------------------------------------------- scalars

// YAML allows a leading '+', std::from_chars does not.
std::string_view without_plus_sign(std::string_view text) {
  if (text.size() > 1 && text.front() == '+' && text[1] != '+' && text[1] != '-') text.remove_prefix(1);
  return text;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  text = without_plus_sign(text);
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return number;
}

// Whole numbers stay integers so that "5" under "type: number" reads back as 5, not 5.0.
std::optional<json> parse_number(std::string_view text) {
  if (auto integer = parse_integer(text)) return json(*integer);
  text = without_plus_sign(text);
  // from_chars would also accept "inf" and "nan", which JSON cannot hold.
  if (text.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return std::nullopt;
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return json(number);
}

std::optional<json> parse_boolean(std::string_view text) {
  if (text == "true") return json(true);
  if (text == "false") return json(false);
  return std::nullopt;
}

std::optional<json> scalar_as(std::string_view type, const std::string& text) {
  if (type == "boolean") return parse_boolean(text);
  if (type == "integer") {
    if (auto integer = parse_integer(text)) return json(*integer);
    return std::nullopt;
  }
  if (type == "number") return parse_number(text);
  if (type == "string") return json(text);
  return std::nullopt;
}

// Quoted scalars ("8443", '8443') and explicitly tagged ones are not plain.
bool is_plain(const YAML::Node& scalar) { return scalar.Tag() == "?" || scalar.Tag().empty(); }

// Without a schema, a plain scalar is whatever it reads as exactly; quoting makes it text.
json untyped_scalar(const YAML::Node& scalar, const std::string& text) {
  if (!is_plain(scalar)) return json(text);
  for (const std::string_view type : {"boolean", "number"}) {
    if (auto value = scalar_as(type, text)) return *value;
  }
  return json(text);
}

std::size_t count_characters(const std::string& utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;  // skip continuation bytes
  }));
}

// ---------------------------------------------------------------- YAML nodes

enum class NodeKind { missing, null, scalar, sequence, map };

// Node::Type() throws on a node looked up under an absent key, hence IsDefined() first.
NodeKind kind_of(const YAML::Node& node) {
  if (!node.IsDefined()) return NodeKind::missing;
  switch (node.Type()) {
    case YAML::NodeType::Null: return NodeKind::null;
    case YAML::NodeType::Scalar: return NodeKind::scalar;
    case YAML::NodeType::Sequence: return NodeKind::sequence;
    case YAML::NodeType::Map: return NodeKind::map;
    case YAML::NodeType::Undefined: return NodeKind::missing;
  }
  return NodeKind::missing;
}

bool is_empty(NodeKind kind) { return kind == NodeKind::missing || kind == NodeKind::null; }

int mark_line(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

std::string describe_node(const YAML::Node& node) {
  switch (kind_of(node)) {
    case NodeKind::missing: return "nothing";
    case NodeKind::null: return "an empty value";
    case NodeKind::scalar: return in_quotes(node.Scalar());
    case NodeKind::sequence: return "a list";
    case NodeKind::map: return "a mapping";
  }
  return "nothing";
}

// ---------------------------------------------------------------- types

using Types = std::vector<std::string>;  // empty: any type

Types types_of(const json& schema) {
  const json* type = find_keyword(schema, "type");
  if (!type) return {};
  if (type->is_string()) return {type->get<std::string>()};
  return type->get<Types>();
}

bool allows(const Types& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

// Without a "type", object keywords still say what the value should be.
bool wants_object(const json& schema, const Types& types) {
  if (!types.empty()) return allows(types, "object");
  return find_keyword(schema, "properties") || find_keyword(schema, "required") ||
         find_keyword(schema, "additionalProperties");
}

bool wants_array(const json& schema, const Types& types) {
  if (!types.empty()) return allows(types, "array");
  return find_keyword(schema, "items") != nullptr;
}

std::string describe_type(std::string_view type) {
  if (type == "object") return "a mapping";
  if (type == "array") return "a list";
  if (type == "string") return "a string";
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  if (type == "boolean") return "true or false";
  return std::string(type);
}

std::string describe_types(const Types& types) {
  std::vector<std::string> descriptions;
  for (const auto& type : types) descriptions.push_back(describe_type(type));
  return join(descriptions, " or ");
}

std::string describe_enum_value(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// ---------------------------------------------------------------- conversion

// Where a value sits: its JSON pointer, the name messages give it
// ("endpoint.url", "hosts[2]"), and the line of problems with the value.
struct Place {
  std::string pointer;
  std::string name;
  int line = 0;
};

std::string display_name(const Place& place) { return in_quotes(place.name.empty() ? "config" : place.name); }

Place place_of_key(const Place& parent, const std::string& key, int line) {
  return {child_pointer(parent.pointer, key), parent.name.empty() ? key : parent.name + "." + key, line};
}

Place place_of_item(const Place& parent, std::size_t index, int line) {
  const std::string base = parent.name.empty() ? "config" : parent.name;
  return {child_pointer(parent.pointer, std::to_string(index)), base + "[" + std::to_string(index) + "]", line};
}

struct Entry {
  std::string key;
  int key_line = 0;
  YAML::Node value;
};

// Fills in the defaults of absent, optional properties. A default that is
// itself an object gets the defaults of its own properties too, so a plugin
// sees them whether or not the operator wrote the enclosing section.
void fill_defaults(json& object, const json& schema) {
  const json* properties = find_keyword(schema, "properties");
  if (!properties || !object.is_object()) return;
  for (const auto& [key, subschema] : properties->items()) {
    const json* fallback = find_keyword(subschema, "default");
    if (!fallback || object.contains(key) || is_required(schema, key)) continue;
    json value = *fallback;
    fill_defaults(value, subschema);
    object[key] = std::move(value);
  }
}

class Converter {
 public:
  explicit Converter(Converted& out) : out_(out) {}

  json convert(const YAML::Node& node, const json& schema, const Place& place);

 private:
  json convert_object(const YAML::Node& node, const json& schema, const Place& place);
  json convert_array(const YAML::Node& node, const json& schema, const Place& place);
  json convert_untyped(const YAML::Node& node, const Place& place);
  std::optional<json> convert_scalar(const YAML::Node& node, const Types& types, const Place& place);
  std::string resolved_text(const YAML::Node& node, const Place& place);
  std::vector<Entry> entries_of(const YAML::Node& map, const Place& place);
  void report_unknown_key(const Place& child, const json* properties);
  void report_missing_required(const json& object, const json& schema, const Place& place);

  void check_constraints(const json& value, const json& schema, const Place& place);
  void check_bounds(const json& number, const json& schema, const Place& place);
  void check_length(const std::string& text, const json& schema, const Place& place);
  void check_pattern_match(const std::string& text, const json& schema, const Place& place);
  void check_item_count(const json& array, const json& schema, const Place& place);
  void check_enum(const json& value, const json& schema, const Place& place);

  void report(const std::string& pointer, int line, std::string message) {
    out_.problems.push_back({pointer, line, std::move(message)});
  }
  void report(const Place& place, std::string message) { report(place.pointer, place.line, std::move(message)); }

  Converted& out_;
};

json Converter::convert(const YAML::Node& node, const json& schema, const Place& place) {
  const Types types = types_of(schema);
  const NodeKind kind = kind_of(node);
  std::optional<json> value;
  if ((kind == NodeKind::map || is_empty(kind)) && wants_object(schema, types)) {
    value = convert_object(node, schema, place);
  } else if ((kind == NodeKind::sequence || is_empty(kind)) && wants_array(schema, types)) {
    value = convert_array(node, schema, place);
  } else if (types.empty()) {
    value = convert_untyped(node, place);
  } else if (kind == NodeKind::scalar) {
    value = convert_scalar(node, types, place);
  }
  if (!value) {
    report(place, display_name(place) + " must be " + describe_types(types) + ", got " + describe_node(node));
    // Keeps the value's shape (and its lines) although it will not be used.
    return convert_untyped(node, place);
  }
  check_constraints(*value, schema, place);
  return *value;
}

// ${env:NAME} and ${file:PATH} work in plugin configs as in the host's own.
std::string Converter::resolved_text(const YAML::Node& node, const Place& place) {
  std::string text;
  if (auto error = interpolate(node.Scalar(), text)) {
    report(place, display_name(place) + ": " + *error);
    return node.Scalar();
  }
  return text;
}

std::optional<json> Converter::convert_scalar(const YAML::Node& node, const Types& types, const Place& place) {
  const std::string text = resolved_text(node, place);
  // Quoting says "this is text"; honour it whenever text is acceptable.
  if (!is_plain(node) && allows(types, "string")) return json(text);
  // The most specific reading wins: with ["string", "integer"], 8443 is a number.
  for (const std::string_view type : {"boolean", "integer", "number", "string"}) {
    if (!allows(types, type)) continue;
    if (auto value = scalar_as(type, text)) return value;
  }
  return std::nullopt;
}

std::vector<Entry> Converter::entries_of(const YAML::Node& map, const Place& place) {
  std::vector<Entry> entries;
  if (kind_of(map) != NodeKind::map) return entries;
  std::set<std::string> seen;
  for (const auto& pair : map) {
    const int key_line = mark_line(pair.first);
    if (kind_of(pair.first) != NodeKind::scalar) {
      report(place.pointer, key_line, "keys of " + display_name(place) + " must be plain text");
      continue;
    }
    const std::string& key = pair.first.Scalar();
    if (!seen.insert(key).second) {
      report(place_of_key(place, key, key_line).pointer, key_line, "duplicate key " + in_quotes(key));
      continue;
    }
    entries.push_back({key, key_line, pair.second});
  }
  return entries;
}

json Converter::convert_object(const YAML::Node& node, const json& schema, const Place& place) {
  json object = json::object();
  const json* properties = find_keyword(schema, "properties");
  const bool open = allows_additional_properties(schema);
  for (const Entry& entry : entries_of(node, place)) {
    // yaml-cpp marks an empty value on the line after its key.
    const int value_line = is_empty(kind_of(entry.value)) ? entry.key_line : mark_line(entry.value);
    const Place child = place_of_key(place, entry.key, value_line);
    out_.lines.set(child.pointer, entry.key_line);
    if (properties && properties->contains(entry.key)) {
      object[entry.key] = convert(entry.value, properties->at(entry.key), child);
    } else if (open) {
      object[entry.key] = convert_untyped(entry.value, child);
    } else {
      report_unknown_key({child.pointer, child.name, entry.key_line}, properties);
    }
  }
  report_missing_required(object, schema, place);
  fill_defaults(object, schema);
  return object;
}

void Converter::report_unknown_key(const Place& child, const json* properties) {
  std::vector<std::string> expected;
  if (properties) {
    for (const auto& [key, subschema] : properties->items()) expected.push_back(key);
  }
  const std::string hint = expected.empty() ? "no keys are allowed here" : "expected one of: " + join(expected, ", ");
  report(child, "unknown key " + display_name(child) + " (" + hint + ")");
}

void Converter::report_missing_required(const json& object, const json& schema, const Place& place) {
  const json* required = find_keyword(schema, "required");
  if (!required) return;
  for (const auto& name : *required) {
    const std::string key = name.get<std::string>();
    if (object.contains(key)) continue;
    const Place child = place_of_key(place, key, place.line);
    report(child, "missing required key " + display_name(child));
  }
}

json Converter::convert_array(const YAML::Node& node, const json& schema, const Place& place) {
  json array = json::array();
  if (kind_of(node) != NodeKind::sequence) return array;
  const json* items = find_keyword(schema, "items");
  std::size_t index = 0;
  for (const auto& item : node) {
    const Place child = place_of_item(place, index++, mark_line(item));
    out_.lines.set(child.pointer, child.line);
    array.push_back(items ? convert(item, *items, child) : convert_untyped(item, child));
  }
  return array;
}

json Converter::convert_untyped(const YAML::Node& node, const Place& place) {
  switch (kind_of(node)) {
    case NodeKind::missing:
    case NodeKind::null: return json(nullptr);
    case NodeKind::scalar: return untyped_scalar(node, resolved_text(node, place));
    case NodeKind::sequence: return convert_array(node, json::object(), place);
    case NodeKind::map: return convert_object(node, json{{"additionalProperties", true}}, place);
  }
  return json(nullptr);
}

void Converter::check_constraints(const json& value, const json& schema, const Place& place) {
  if (value.is_number()) check_bounds(value, schema, place);
  if (value.is_string()) {
    check_length(value.get_ref<const std::string&>(), schema, place);
    check_pattern_match(value.get_ref<const std::string&>(), schema, place);
  }
  if (value.is_array()) check_item_count(value, schema, place);
  check_enum(value, schema, place);
}

void Converter::check_bounds(const json& number, const json& schema, const Place& place) {
  if (const json* minimum = find_keyword(schema, "minimum"); minimum && number < *minimum)
    report(place, display_name(place) + " must be at least " + minimum->dump());
  if (const json* maximum = find_keyword(schema, "maximum"); maximum && number > *maximum)
    report(place, display_name(place) + " must be at most " + maximum->dump());
}

// "1 item", "3 items".
std::string counted(std::uint64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

void Converter::check_length(const std::string& text, const json& schema, const Place& place) {
  const std::size_t length = count_characters(text);
  if (const json* minimum = find_keyword(schema, "minLength"); minimum && length < minimum->get<std::uint64_t>())
    report(place, display_name(place) + " must be at least " + counted(minimum->get<std::uint64_t>(), "character") + " long");
  if (const json* maximum = find_keyword(schema, "maxLength"); maximum && length > maximum->get<std::uint64_t>())
    report(place, display_name(place) + " must be at most " + counted(maximum->get<std::uint64_t>(), "character") + " long");
}

void Converter::check_pattern_match(const std::string& text, const json& schema, const Place& place) {
  const json* pattern = find_keyword(schema, "pattern");
  if (!pattern) return;
  const std::string& expression = pattern->get_ref<const std::string&>();
  try {
    // JSON Schema patterns are not anchored: a match anywhere counts.
    if (std::regex_search(text, std::regex(expression, std::regex::ECMAScript))) return;
    // The value is not quoted: it may have come from a ${file:} secret.
    report(place, display_name(place) + " must match the pattern " + in_quotes(expression));
  } catch (const std::regex_error& error) {
    // Raised for inputs too complex for std::regex, not for the pattern (check_schema compiled it).
    report(place, display_name(place) + " could not be matched against the pattern " + in_quotes(expression) + ": " +
                      error.what());
  }
}

void Converter::check_item_count(const json& array, const json& schema, const Place& place) {
  if (const json* minimum = find_keyword(schema, "minItems"); minimum && array.size() < minimum->get<std::uint64_t>())
    report(place, display_name(place) + " must have at least " + counted(minimum->get<std::uint64_t>(), "item"));
  if (const json* maximum = find_keyword(schema, "maxItems"); maximum && array.size() > maximum->get<std::uint64_t>())
    report(place, display_name(place) + " must have at most " + counted(maximum->get<std::uint64_t>(), "item"));
}

void Converter::check_enum(const json& value, const json& schema, const Place& place) {
  const json* allowed = find_keyword(schema, "enum");
  if (!allowed || std::find(allowed->begin(), allowed->end(), value) != allowed->end()) return;
  std::vector<std::string> choices;
  for (const auto& choice : *allowed) choices.push_back(describe_enum_value(choice));
  report(place, display_name(place) + " must be one of: " + join(choices, ", "));
}

}  // namespace

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
  converted.value = Converter(converted).convert(node, schema, Place{"", "", line});
  std::stable_sort(converted.problems.begin(), converted.problems.end(),
                   [](const SchemaProblem& a, const SchemaProblem& b) { return a.line < b.line; });
  return converted;
}

}  // namespace signet::host
