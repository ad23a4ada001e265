#include "config/json_schema.hpp"

#include "config/yaml_section.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
#include <regex>
#include <set>
#include <system_error>
#include <utility>

// Without exceptions valijson reports every error by calling abort(). Its CMake target defines this.
#if !defined(VALIJSON_USE_EXCEPTIONS) || !VALIJSON_USE_EXCEPTIONS
#error "valijson must be compiled with VALIJSON_USE_EXCEPTIONS=1"
#endif
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

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

// The lead bytes of multi-byte UTF-8 sequences: their length and the smallest code point each may encode.
struct Utf8Lead {
  unsigned mask;
  unsigned bits;
  std::size_t length;
  std::uint32_t shortest;
};
constexpr std::array<Utf8Lead, 3> kUtf8Leads = {{
    {0xE0, 0xC0, 2, 0x80},
    {0xF0, 0xE0, 3, 0x800},
    {0xF8, 0xF0, 4, 0x10000},
}};

// The length in bytes of the well-formed UTF-8 sequence (RFC 3629) that starts `text`, else 0. NUL counts as
// malformed: valijson measures minLength and maxLength up to the first NUL.
std::size_t utf8_sequence_length(std::string_view text) {
  const unsigned lead = static_cast<unsigned char>(text.front());
  if (lead == 0) return 0;
  if (lead < 0x80U) return 1;
  const auto form = std::find_if(kUtf8Leads.begin(), kUtf8Leads.end(),
                                 [&](const Utf8Lead& candidate) { return (lead & candidate.mask) == candidate.bits; });
  if (form == kUtf8Leads.end() || text.size() < form->length) return 0;
  std::uint32_t code_point = lead & ~form->mask;
  for (std::size_t i = 1; i < form->length; ++i) {
    const unsigned byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0U) != 0x80U) return 0;
    code_point = (code_point << 6U) | (byte & 0x3FU);
  }
  const bool surrogate = code_point >= 0xD800U && code_point <= 0xDFFFU;
  return code_point < form->shortest || surrogate || code_point > 0x10FFFFU ? 0 : form->length;
}

// valijson reads past the end of a table on malformed UTF-8 (a ${file:} may hold binary data) and stops counting
// at NUL, so such text never reaches it.
bool is_utf8_without_nul(std::string_view text) {
  while (!text.empty()) {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
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

// The value of a checked "type" keyword.
Types type_names(const json& type) { return type.is_string() ? Types{type.get<std::string>()} : type.get<Types>(); }

Types types_of(const json& schema) {
  const json* type = find_keyword(schema, "type");
  return type ? type_names(*type) : Types{};
}

bool allows(const Types& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

// Text cannot become a mapping or a list, so it is not even resolved when only those are allowed.
bool allows_a_scalar(const Types& types) {
  return allows(types, "string") || allows(types, "integer") || allows(types, "number") || allows(types, "boolean");
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

std::string unknown_key_message(const Place& child, const json* properties) {
  std::vector<std::string> expected;
  if (properties) {
    for (const auto& [key, subschema] : properties->items()) expected.push_back(key);
  }
  const std::string hint = expected.empty() ? "no keys are allowed here" : "expected one of: " + join(expected, ", ");
  return "unknown key " + display_name(child) + " (" + hint + ")";
}

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
// keywords that constrain typed values are valijson's (Validation below).
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

json Converter::convert(const YAML::Node& node, const json& schema, const Place& place) {
  record_.value_lines.insert_or_assign(place.pointer, place.line);
  const Types types = types_of(schema);
  const NodeKind kind = kind_of(node);
  std::optional<json> value;
  if ((kind == NodeKind::map || is_empty(kind)) && wants_object(schema, types)) {
    value = convert_object(node, schema, place);
  } else if ((kind == NodeKind::sequence || is_empty(kind)) && wants_array(schema, types)) {
    value = convert_array(node, schema, place);
  } else if (types.empty()) {
    value = convert_untyped(node, place);
  } else if (kind == NodeKind::scalar && allows_a_scalar(types)) {
    value = convert_scalar(node, types, place);
  }
  if (value) return *value;
  report_failed(place, display_name(place) + " must be " + describe_types(types) + ", got " + describe_node(node));
  // Keeps the shape (and the lines) of a mapping or list, although it will not be used.
  return kind == NodeKind::scalar ? json(nullptr) : convert_untyped(node, place);
}

// ${env:NAME} and ${file:PATH} work in plugin configs as in the host's own. Returns nothing when the text is
// refused (already reported); the message never quotes the text, which may be a secret.
std::optional<std::string> Converter::resolved_text(const YAML::Node& node, const Place& place) {
  std::string text;
  if (auto error = interpolate(node.Scalar(), text)) {
    report(place, display_name(place) + ": " + *error);
    text = node.Scalar();
  }
  if (is_utf8_without_nul(text)) return text;
  report_failed(place, display_name(place) + " must be UTF-8 text without NUL characters");
  return std::nullopt;
}

// Refused text becomes null: the problem is reported, and validation skips the value.
std::optional<json> Converter::convert_scalar(const YAML::Node& node, const Types& types, const Place& place) {
  const auto text = resolved_text(node, place);
  if (!text) return json(nullptr);
  // Quoting says "this is text"; honour it whenever text is acceptable.
  if (!is_plain(node) && allows(types, "string")) return json(*text);
  // The most specific reading wins: with ["string", "integer"], 8443 is a number.
  for (const std::string_view type : {"boolean", "integer", "number", "string"}) {
    if (!allows(types, type)) continue;
    if (auto value = scalar_as(type, *text)) return value;
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

// Unknown keys are reported here, each at its own line and with the declared ones as a hint, and left out of the
// value: valijson would report only the first, and a key without a schema has no type to convert its YAML to.
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
  return object;
}

void Converter::report_unknown_key(const Place& child, const json* properties) {
  report(child, unknown_key_message(child, properties));
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
    case NodeKind::scalar: {
      const auto text = resolved_text(node, place);
      return text ? untyped_scalar(node, *text) : json(nullptr);
    }
    case NodeKind::sequence: return convert_array(node, json::object(), place);
    case NodeKind::map: return convert_object(node, json{{"additionalProperties", true}}, place);
  }
  return json(nullptr);
}

// ---------------------------------------------------------------- defaults

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

// fill_defaults in every object the schema describes. It runs after validation: defaults are the plugin's, not the
// operator's, and stay unchecked (a default outside its own schema would otherwise fail every instance).
void fill_defaults_throughout(json& value, const json& schema) {
  if (value.is_array()) {
    if (const json* items = find_keyword(schema, "items")) {
      for (json& item : value) fill_defaults_throughout(item, *items);
    }
    return;
  }
  if (!value.is_object()) return;
  if (const json* properties = find_keyword(schema, "properties")) {
    for (auto member = value.begin(); member != value.end(); ++member) {
      const json* subschema = find_keyword(*properties, member.key());
      if (subschema) fill_defaults_throughout(*member, *subschema);
    }
  }
  fill_defaults(value, schema);
}

// ---------------------------------------------------------------- validation (valijson)

// The schema valijson checks: Signet's closed objects made explicit, and the annotations left out (valijson
// throws on a "title" or "description" that is not a string, which Signet ignores).
json for_valijson(const json& schema) {
  json rewritten = json::object();
  for (const auto& [keyword, value] : schema.items()) {
    if (is_ignored_keyword(keyword)) continue;
    if (keyword == "properties") {
      json properties = json::object();
      for (const auto& [name, subschema] : value.items()) properties[name] = for_valijson(subschema);
      rewritten[keyword] = std::move(properties);
    } else if (keyword == "items") {
      rewritten[keyword] = for_valijson(value);
    } else {
      rewritten[keyword] = value;
    }
  }
  if (wants_object(schema, types_of(schema)) && !rewritten.contains("additionalProperties"))
    rewritten["additionalProperties"] = false;
  return rewritten;
}

// valijson names a location by "<root>" and then "[key]" or "[index]" per level, keys unescaped.
std::vector<std::string> tokens_of(const std::vector<std::string>& context) {
  std::vector<std::string> tokens;
  for (std::size_t i = 1; i < context.size(); ++i) tokens.push_back(context[i].substr(1, context[i].size() - 2));
  return tokens;
}

std::string pointer_of(const std::vector<std::string>& tokens) {
  std::string pointer;
  for (const auto& token : tokens) pointer = child_pointer(pointer, token);
  return pointer;
}

// The subschema at a location (null where no schema describes the value) and the name messages give it.
struct Located {
  const json* schema = nullptr;
  std::string name;
};

// Walks the value beside the schema: its arrays say which tokens are indexes ("[0]" may also be a key).
Located locate(const json& schema, const json& value, const std::vector<std::string>& tokens) {
  Located at{&schema, ""};
  const json* current = &value;
  for (const auto& token : tokens) {
    std::size_t index = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (current->is_array() && error == std::errc() && index < current->size()) {
      at.schema = at.schema ? find_keyword(*at.schema, "items") : nullptr;
      at.name = (at.name.empty() ? "config" : at.name) + "[" + token + "]";
      current = &(*current)[index];
    } else if (current->is_object() && current->contains(token)) {
      const json* properties = at.schema ? find_keyword(*at.schema, "properties") : nullptr;
      at.schema = properties ? find_keyword(*properties, token) : nullptr;
      at.name = at.name.empty() ? token : at.name + "." + token;
      current = &current->at(token);
    } else {
      return {nullptr, at.name};
    }
  }
  return at;
}

// "1 item", "3 items".
std::string counted(const json& count, const std::string& noun) {
  const auto number = count.get<std::uint64_t>();
  return std::to_string(number) + " " + noun + (number == 1 ? "" : "s");
}

std::string describe_enum(const json& choices) {
  std::vector<std::string> described;
  for (const auto& choice : choices) described.push_back(describe_enum_value(choice));
  return join(described, ", ");
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A keyword failure as valijson 1.0 describes it, and the requirement Signet states instead. Numbers come from the
// plugin's schema (65535, where valijson says 65535.000000); no message quotes the value, which may be a secret.
struct KeywordFailure {
  std::string_view description;  // its beginning
  std::string_view keyword;
  std::string (*requirement)(const json& keyword_value);
};

const std::array<KeywordFailure, 9> kKeywordFailures = {{
    {"Expected number greater than or equal to", "minimum",
     [](const json& bound) { return "must be at least " + bound.dump(); }},
    {"Expected number less than or equal to", "maximum",
     [](const json& bound) { return "must be at most " + bound.dump(); }},
    {"String should be no fewer than", "minLength",
     [](const json& count) { return "must be at least " + counted(count, "character") + " long"; }},
    {"String should be no more than", "maxLength",
     [](const json& count) { return "must be at most " + counted(count, "character") + " long"; }},
    {"Array should contain no fewer than", "minItems",
     [](const json& count) { return "must have at least " + counted(count, "item"); }},
    {"Array should contain no more than", "maxItems",
     [](const json& count) { return "must have at most " + counted(count, "item"); }},
    {"Failed to match regex specified by 'pattern'", "pattern",
     [](const json& pattern) { return "must match the pattern " + in_quotes(pattern.get<std::string>()); }},
    {"Failed to match against any enum values", "enum",
     [](const json& choices) { return "must be one of: " + describe_enum(choices); }},
    // Values typed by the converter always have their type; JSON given to validate_json may not.
    {"Value type not permitted by 'type'", "type",
     [](const json& type) { return "must be " + describe_types(type_names(type)); }},
}};

// What a value failing `description` must be; valijson's own words when the failure is not one of kKeywordFailures
// (not expected: valijson 1.0's descriptions name keys and schema values, never the instance's values).
std::string requirement(std::string_view description, const json* subschema) {
  for (const KeywordFailure& failure : kKeywordFailures) {
    const json* keyword_value = subschema ? find_keyword(*subschema, failure.keyword) : nullptr;
    if (keyword_value && starts_with(description, failure.description)) return failure.requirement(*keyword_value);
  }
  return "fails the schema: " + std::string(description);
}

// valijson's errors about an object's keys: each names one key ("... '<key>'."). Of unknown keys only the first is
// named; in converted values there are none (the converter leaves them out).
constexpr std::string_view kMissingKey = "Missing required property '";
constexpr std::string_view kUnknownKey =
    "Object contains a property that could not be validated using 'properties' or 'additionalProperties' "
    "constraints: '";

std::optional<std::string> key_named(std::string_view description, std::string_view prefix) {
  if (!starts_with(description, prefix)) return std::nullopt;
  description.remove_prefix(prefix.size());
  return std::string(description.substr(0, description.rfind("'.")));
}

// valijson also reports at the parent that a child failed; the child's own error says why.
bool is_wrapper(std::string_view description) {
  return starts_with(description, "Failed to validate against schema associated with property name") ||
         starts_with(description, "Failed to validate item #") ||
         starts_with(description, "Failed to validate against additional properties schema");
}

// Runs valijson over a converted value (defaults not yet filled) and words its errors as Signet's problems.
class Validation {
 public:
  Validation(const json& schema, const json& value, const ConversionRecord& record, const LineMap& lines)
      : schema_(schema), value_(value), record_(record), lines_(lines) {}

  std::vector<SchemaProblem> run();

 private:
  void add(const valijson::ValidationResults::Error& error);
  void add_key_problem(const Place& object, const json* schema, std::string_view description);
  bool under_failed(std::string_view pointer) const;
  int line_of(const std::string& pointer) const;

  const json& schema_;
  const json& value_;
  const ConversionRecord& record_;
  const LineMap& lines_;
  std::vector<SchemaProblem> problems_;
};

std::vector<SchemaProblem> Validation::run() {
  const json rewritten = for_valijson(schema_);
  valijson::Schema compiled;
  try {
    valijson::SchemaParser(valijson::SchemaParser::kDraft7)
        .populateSchema(valijson::adapters::NlohmannJsonAdapter(rewritten), compiled);
  } catch (const std::exception& error) {  // not expected once check_schema accepted the schema
    return {{"", line_of(""), std::string("the plugin's configuration schema is invalid: ") + error.what()}};
  }
  valijson::Validator validator;  // strong types: "5" is no integer. Its regex cache makes it one per call.
  valijson::ValidationResults results;
  try {
    validator.validate(compiled, valijson::adapters::NlohmannJsonAdapter(value_), &results);
  } catch (const std::exception& error) {  // std::regex_search gives up on inputs too complex for it
    problems_.push_back(
        {"", line_of(""), std::string("the configuration could not be checked against the schema: ") + error.what()});
  }
  for (const auto& error : results) add(error);
  return std::move(problems_);
}

void Validation::add(const valijson::ValidationResults::Error& error) {
  const std::string_view description = error.description;
  if (is_wrapper(description)) return;
  const auto tokens = tokens_of(error.context);
  const std::string pointer = pointer_of(tokens);
  if (under_failed(pointer)) return;  // its conversion problem was reported, with the YAML text
  const Located at = locate(schema_, value_, tokens);
  const Place place{pointer, at.name, line_of(pointer)};
  if (starts_with(description, kMissingKey) || starts_with(description, kUnknownKey)) {
    add_key_problem(place, at.schema, description);
  } else {
    problems_.push_back({pointer, place.line, display_name(place) + " " + requirement(description, at.schema)});
  }
}

// A missing key is reported at the line of the object, as it has none of its own.
void Validation::add_key_problem(const Place& object, const json* schema, std::string_view description) {
  if (auto key = key_named(description, kMissingKey)) {
    const Place child = place_of_key(object, *key, object.line);
    problems_.push_back({child.pointer, child.line, "missing required key " + display_name(child)});
  } else if (auto unknown = key_named(description, kUnknownKey)) {
    const Place child = place_of_key(object, *unknown, line_of(child_pointer(object.pointer, *unknown)));
    const json* properties = schema ? find_keyword(*schema, "properties") : nullptr;
    problems_.push_back({child.pointer, child.line, unknown_key_message(child, properties)});
  }
}

bool Validation::under_failed(std::string_view pointer) const {
  for (;;) {
    if (record_.failed.find(pointer) != record_.failed.end()) return true;
    if (pointer.empty()) return false;
    pointer = pointer.substr(0, pointer.rfind('/'));
  }
}

int Validation::line_of(const std::string& pointer) const {
  const auto found = record_.value_lines.find(pointer);
  return found != record_.value_lines.end() ? found->second : lines_.line_of(pointer);
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
  Converter converter(converted);
  converted.value = converter.convert(node, schema, Place{"", "", line});
  auto validated = Validation(schema, converted.value, converter.record(), converted.lines).run();
  converted.problems.insert(converted.problems.end(), validated.begin(), validated.end());
  std::stable_sort(converted.problems.begin(), converted.problems.end(),
                   [](const SchemaProblem& a, const SchemaProblem& b) { return a.line < b.line; });
  fill_defaults_throughout(converted.value, schema);
  return converted;
}

std::vector<SchemaProblem> validate_json(const json& value, const json& schema) {
  if (auto error = check_schema(schema)) return {{"", 0, "the plugin's configuration schema is invalid: " + *error}};
  return Validation(schema, value, ConversionRecord{}, LineMap{}).run();
}

}  // namespace signet::host
