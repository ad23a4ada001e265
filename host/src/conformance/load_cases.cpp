#include "conformance/load_cases.hpp"

#include <regex>

#include <yaml-cpp/yaml.h>

#include "config/json_schema.hpp"
#include "plugins/instances.hpp"

namespace signet::host::conformance {
namespace {

constexpr const char* kUnknownKey = "signet_conformance_unknown_key";

// What the docs ask of the fields beyond what makes the host refuse them.
std::string field_advice(const signet_plugin_descriptor& d) {
  static const std::regex name("^[a-z0-9]+(-[a-z0-9]+)*$"), version("^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$");
  if (!std::regex_match(d.name, name)) return std::string("plugin name \"") + d.name + "\" is not [a-z0-9-] words";
  if (!std::regex_match(d.plugin_version, version))
    return std::string("plugin version \"") + d.plugin_version + "\" is not MAJOR.MINOR.PATCH";
  if (d.reserved != 0) return "the reserved field is " + std::to_string(d.reserved) + ", not 0";
  std::uint64_t known = 0;
  for (const auto& c : capability_names)
    if (c.kind == d.kind) known |= c.bit;
  if (d.capabilities & ~known) return "capability bits " + std::to_string(d.capabilities & ~known) + " are not defined for its kind";
  return {};
}

YAML::Node read_config(const std::string& file, std::string& error) {
  if (file.empty()) return YAML::Node(YAML::NodeType::Map);
  try {
    YAML::Node node = YAML::LoadFile(file);
    return node.IsNull() ? YAML::Node(YAML::NodeType::Map) : node;
  } catch (const YAML::Exception& e) {
    error = file + ": " + e.what();
    return {};
  }
}

std::string problem_list(const std::vector<SchemaProblem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += (out.empty() ? "" : "; ") + std::string("config") + p.pointer + (p.line ? " (line " + std::to_string(p.line) + ")" : "") +
           ": " + p.message;
  return out;
}

std::string error_text(const Error& error) {
  std::string out = describe(error);
  for (const auto& p : error.problems) out += "; config" + p.path + ": " + one_line(p.message);
  return out;
}

}  // namespace

std::optional<PluginLibrary> run_descriptor_cases(Suite& suite) {
  std::optional<PluginLibrary> library;
  // The host's own loader: the same dlopen flags, the same refusals.
  if (!suite.run("descriptor.entry", [&] {
        auto opened = open_library(suite.options.library);
        if (!opened) return Verdict::fail(opened.error().message);
        library = std::move(opened).value();
        return Verdict::pass(std::string(kind_name(library->descriptor->kind)) + " plugin");
      }))
    return std::nullopt;
  const signet_plugin_descriptor* descriptor = library->descriptor;
  for (const auto& rule : descriptor_rules()) {
    const bool fields = std::string_view(rule.topic) == "fields";
    const bool passed = suite.run(std::string("descriptor.") + rule.topic, [&] {
      if (auto refusal = rule.refusal(*descriptor)) return Verdict::fail("the host refuses it: " + *refusal);
      if (fields)
        if (auto advice = field_advice(*descriptor); !advice.empty()) return Verdict::fail(advice);
      return Verdict::pass();
    });
    if (!passed) return std::nullopt;
  }
  suite.descriptor = descriptor;
  return library;
}

bool run_instance_cases(Suite& suite, const PluginLibrary& library, nlohmann::json& config) {
  const auto& d = *library.descriptor;
  nlohmann::json schema;
  if (!suite.run("config.schema", [&] {
        if (auto bad = parse_schema(d.config_schema ? d.config_schema : "{\"type\":\"object\"}", schema))
          return Verdict::fail("the host refuses the config schema: " + *bad);
        return Verdict::pass();
      }))
    return false;
  std::string read_error;
  const YAML::Node given = read_config(suite.options.config_file, read_error);
  if (!suite.run("config.accepts_given", [&] {
        if (!read_error.empty()) return Verdict::fail(read_error);
        Converted converted = convert_with_schema(given, schema);
        if (!converted.problems.empty()) return Verdict::fail("the schema refuses the given config: " + problem_list(converted.problems));
        config = std::move(converted.value);
        return Verdict::pass();
      }))
    return false;
  suite.run("config.rejects_unknown_key", [&] {
    YAML::Node extended = YAML::Clone(given);
    extended[kUnknownKey] = 1;
    const Converted converted = convert_with_schema(extended, schema);
    for (const auto& p : converted.problems)
      if (p.pointer == std::string("/") + kUnknownKey || p.message.find(kUnknownKey) != std::string::npos) return Verdict::pass();
    return Verdict::fail(std::string("a config with the unknown key ") + kUnknownKey +
                         " is accepted: a misspelt option would pass silently (leave additionalProperties false)");
  });
  const PluginContext context{suite.options.instance_name, config, suite.services};
  if (!suite.run("instance.create", [&] {
        auto made = suite.calls.run("create", [&] { return d.create(context); });
        if (!made) return Verdict::fail("the factory refused the given config: " + error_text(made.error()));
        suite.instance = std::move(made).value();
        return Verdict::pass();
      }))
    return false;
  return true;
}

void run_instance_health(Suite& suite) {
  suite.run("instance.health", [&] {
    auto health = suite.calls.run("health", [&] { return suite.instance->health(); });
    if (!health) return Verdict::fail("health() answered " + error_text(health.error()));
    return Verdict::pass();
  });
}

}  // namespace signet::host::conformance
