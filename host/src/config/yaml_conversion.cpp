#include "config/json_schema_internal.hpp"

#include "config/yaml_section.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <system_error>
#include <utility>

namespace signet::host::json_schema_internal {

// ---------------------------------------------------------------- scalars

namespace {

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

}  // namespace

// ---------------------------------------------------------------- YAML nodes

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

namespace {

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

}  // namespace

// ---------------------------------------------------------------- types

// The value of a checked "type" keyword.
Types type_names(const json& type) { return type.is_string() ? Types{type.get<std::string>()} : type.get<Types>(); }

Types types_of(const json& schema) {
  const json* type = find_keyword(schema, "type");
  return type ? type_names(*type) : Types{};
}

namespace {

bool allows(const Types& types, std::string_view type) {
  return std::find(types.begin(), types.end(), type) != types.end();
}

// Text cannot become a mapping or a list, so it is not even resolved when only those are allowed.
bool allows_a_scalar(const Types& types) {
  return allows(types, "string") || allows(types, "integer") || allows(types, "number") || allows(types, "boolean");
}

}  // namespace

// Without a "type", object keywords still say what the value should be.
bool wants_object(const json& schema, const Types& types) {
  if (!types.empty()) return allows(types, "object");
  return find_keyword(schema, "properties") || find_keyword(schema, "required") ||
         find_keyword(schema, "additionalProperties");
}

namespace {

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

}  // namespace

std::string describe_types(const Types& types) {
  std::vector<std::string> descriptions;
  for (const auto& type : types) descriptions.push_back(describe_type(type));
  return join(descriptions, " or ");
}

std::string describe_enum_value(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// ---------------------------------------------------------------- conversion

std::string display_name(const Place& place) { return in_quotes(place.name.empty() ? "config" : place.name); }

Place place_of_key(const Place& parent, const std::string& key, int line) {
  return {child_pointer(parent.pointer, key), parent.name.empty() ? key : parent.name + "." + key, line};
}

namespace {

Place place_of_item(const Place& parent, std::size_t index, int line) {
  const std::string base = parent.name.empty() ? "config" : parent.name;
  return {child_pointer(parent.pointer, std::to_string(index)), base + "[" + std::to_string(index) + "]", line};
}

}  // namespace

std::string unknown_key_message(const Place& child, const json* properties) {
  std::vector<std::string> expected;
  if (properties) {
    for (const auto& [key, subschema] : properties->items()) expected.push_back(key);
  }
  const std::string hint = expected.empty() ? "no keys are allowed here" : "expected one of: " + join(expected, ", ");
  return "unknown key " + display_name(child) + " (" + hint + ")";
}

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

namespace {

bool is_required(const json& schema, std::string_view key) {
  const json* required = find_keyword(schema, "required");
  if (!required || !required->is_array()) return false;
  return std::any_of(required->begin(), required->end(),
                     [&](const json& name) { return name.is_string() && name.get_ref<const std::string&>() == key; });
}

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

}  // namespace

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

}  // namespace signet::host::json_schema_internal
