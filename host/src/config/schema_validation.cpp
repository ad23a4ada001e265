#include "config/json_schema_internal.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
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

namespace signet::host::json_schema_internal {

// ---------------------------------------------------------------- validation (valijson)

namespace {

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
    if (keyword_value && description.starts_with(failure.description)) return failure.requirement(*keyword_value);
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
  if (!description.starts_with(prefix)) return std::nullopt;
  description.remove_prefix(prefix.size());
  return std::string(description.substr(0, description.rfind("'.")));
}

// valijson also reports at the parent that a child failed; the child's own error says why.
bool is_wrapper(std::string_view description) {
  return description.starts_with("Failed to validate against schema associated with property name") ||
         description.starts_with("Failed to validate item #") ||
         description.starts_with("Failed to validate against additional properties schema");
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
  if (description.starts_with(kMissingKey) || description.starts_with(kUnknownKey)) {
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

std::vector<SchemaProblem> validate(const json& schema, const json& value, const ConversionRecord& record,
                                    const LineMap& lines) {
  return Validation(schema, value, record, lines).run();
}

}  // namespace signet::host::json_schema_internal
