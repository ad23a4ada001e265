#include "config/json_schema.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace signet::host {
namespace {

using nlohmann::json;

json schema_from(const std::string& text) {
  json schema;
  if (auto error = parse_schema(text, schema)) ADD_FAILURE() << "schema rejected: " << *error;
  return schema;
}

Converted convert(const std::string& yaml, const std::string& schema_text) {
  return convert_with_schema(YAML::Load(yaml), schema_from(schema_text));
}

std::string list_problems(const Converted& converted) {
  std::string listed;
  for (const auto& problem : converted.problems)
    listed += "\n  line " + std::to_string(problem.line) + " at \"" + problem.pointer + "\": " + problem.message;
  return listed.empty() ? "\n  (none)" : listed;
}

testing::AssertionResult has_problem(const Converted& converted, int line, const std::string& pointer,
                                     const std::string& message) {
  for (const auto& problem : converted.problems) {
    if (problem.line == line && problem.pointer == pointer && problem.message == message)
      return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "no problem at line " << line << " \"" << pointer << "\": " << message
                                     << "\nproblems:" << list_problems(converted);
}

testing::AssertionResult no_problems(const Converted& converted) {
  if (converted.problems.empty()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "problems:" << list_problems(converted);
}

const std::string kEndpointSchema = R"({
  "type": "object",
  "properties": {
    "url": {"type": "string"},
    "timeout": {"type": "integer"}
  },
  "required": ["url"]
})";

// ---------------------------------------------------------------- scalars

TEST(ConvertWithSchema, TypesScalarsAsTheSchemaSays) {
  const auto converted = convert(
      "port: 8443\n"
      "ratio: 0.25\n"
      "enabled: true\n"
      "name: 8443\n"
      "quoted_port: \"8443\"\n"
      "signed: +5\n"
      "whole: 5\n"
      "negative: -12\n",
      R"({"type": "object", "properties": {
        "port": {"type": "integer"}, "ratio": {"type": "number"}, "enabled": {"type": "boolean"},
        "name": {"type": "string"}, "quoted_port": {"type": "integer"}, "signed": {"type": "integer"},
        "whole": {"type": "number"}, "negative": {"type": "integer"}}})");
  ASSERT_TRUE(no_problems(converted));
  const json& value = converted.value;
  EXPECT_EQ(value["port"], json(8443));
  EXPECT_TRUE(value["port"].is_number_integer());
  EXPECT_DOUBLE_EQ(value["ratio"].get<double>(), 0.25);
  EXPECT_EQ(value["enabled"], json(true));
  EXPECT_EQ(value["name"], json("8443"));
  EXPECT_EQ(value["quoted_port"], json(8443));
  EXPECT_EQ(value["signed"], json(5));
  EXPECT_TRUE(value["whole"].is_number_integer()) << value["whole"].dump();
  EXPECT_EQ(value["negative"], json(-12));
}

TEST(ConvertWithSchema, BooleansAreOnlyTrueAndFalse) {
  const auto converted = convert(
      "a: false\n"
      "b: yes\n"
      "c: True\n",
      R"({"type": "object", "properties": {
        "a": {"type": "boolean"}, "b": {"type": "boolean"}, "c": {"type": "boolean"}}})");
  EXPECT_EQ(converted.value["a"], json(false));
  EXPECT_TRUE(has_problem(converted, 2, "/b", "\"b\" must be true or false, got \"yes\""));
  EXPECT_TRUE(has_problem(converted, 3, "/c", "\"c\" must be true or false, got \"True\""));
  EXPECT_EQ(converted.problems.size(), 2U);
}

TEST(ConvertWithSchema, RejectsTextThatIsNotOfTheType) {
  const auto converted = convert(
      "url: https://example.test\n"
      "timeout: ten\n",
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 2, "/timeout", "\"timeout\" must be an integer, got \"ten\""));
  EXPECT_EQ(converted.problems.size(), 1U);
}

TEST(ConvertWithSchema, IntegersAreWholeAndNumbersFinite) {
  const auto converted = convert(
      "fraction: 10.5\n"
      "huge: 99999999999999999999\n"
      "infinite: .inf\n"
      "not_a_number: nan\n"
      "sign_twice: +-3\n",
      R"({"type": "object", "properties": {
        "fraction": {"type": "integer"}, "huge": {"type": "integer"},
        "infinite": {"type": "number"}, "not_a_number": {"type": "number"}, "sign_twice": {"type": "number"}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/fraction", "\"fraction\" must be an integer, got \"10.5\""));
  EXPECT_TRUE(has_problem(converted, 2, "/huge", "\"huge\" must be an integer, got \"99999999999999999999\""));
  EXPECT_TRUE(has_problem(converted, 3, "/infinite", "\"infinite\" must be a number, got \".inf\""));
  EXPECT_TRUE(has_problem(converted, 4, "/not_a_number", "\"not_a_number\" must be a number, got \"nan\""));
  EXPECT_TRUE(has_problem(converted, 5, "/sign_twice", "\"sign_twice\" must be a number, got \"+-3\""));
  EXPECT_EQ(converted.problems.size(), 5U);
}

TEST(ConvertWithSchema, SeveralTypesPreferTheMostSpecificReading) {
  const auto converted = convert(
      "- 8443\n"
      "- abc\n"
      "- \"8443\"\n"
      "- true\n",
      R"({"type": "array", "items": {"type": ["string", "integer"]}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value, json::parse(R"([8443, "abc", "8443", "true"])"));
}

TEST(ConvertWithSchema, SeveralTypesAreNamedInTheProblem) {
  const auto converted = convert("x: abc\n", R"({"type": "object", "properties": {"x": {"type": ["integer", "boolean"]}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/x", "\"x\" must be an integer or true or false, got \"abc\""));
}

TEST(ConvertWithSchema, ReportsAnEmptyValueWhereAScalarIsExpected) {
  const auto converted = convert(
      "url:\n"
      "timeout: 5\n",
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 1, "/url", "\"url\" must be a string, got an empty value"));
  EXPECT_EQ(converted.problems.size(), 1U);
}

// ---------------------------------------------------------------- structure

const std::string kNestedSchema = R"({
  "type": "object",
  "properties": {
    "endpoint": {
      "type": "object",
      "properties": {"url": {"type": "string"}, "timeout": {"type": "integer"}},
      "required": ["url"]
    },
    "hosts": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "port": {"type": "integer", "maximum": 65535}},
        "required": ["name"]
      }
    }
  }
})";

TEST(ConvertWithSchema, ConvertsNestedObjectsAndArrays) {
  const auto converted = convert(
      "endpoint:\n"                     // 1
      "  url: https://ca.test\n"        // 2
      "  timeout: 30\n"                 // 3
      "hosts:\n"                        // 4
      "  - name: a.test\n"              // 5
      "    port: 443\n"                 // 6
      "  - name: b.test\n"              // 7
      "    port: 8443\n",               // 8
      kNestedSchema);
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value, json::parse(R"({
    "endpoint": {"url": "https://ca.test", "timeout": 30},
    "hosts": [{"name": "a.test", "port": 443}, {"name": "b.test", "port": 8443}]})"));

  const LineMap& lines = converted.lines;
  EXPECT_EQ(lines.line_of(""), 1);
  EXPECT_EQ(lines.line_of("/endpoint"), 1);
  EXPECT_EQ(lines.line_of("/endpoint/url"), 2);
  EXPECT_EQ(lines.line_of("/endpoint/timeout"), 3);
  EXPECT_EQ(lines.line_of("/hosts"), 4);
  EXPECT_EQ(lines.line_of("/hosts/0"), 5);
  EXPECT_EQ(lines.line_of("/hosts/1"), 7);
  EXPECT_EQ(lines.line_of("/hosts/1/port"), 8);
}

TEST(ConvertWithSchema, NamesNestedValuesByTheirPath) {
  const auto converted = convert(
      "endpoint:\n"                     // 1
      "  url: [a, b]\n"                 // 2
      "hosts:\n"                        // 3
      "  - name: a.test\n"              // 4
      "    port: https\n"               // 5
      "  - port: 70000\n",              // 6
      kNestedSchema);
  EXPECT_TRUE(has_problem(converted, 2, "/endpoint/url", "\"endpoint.url\" must be a string, got a list"));
  EXPECT_TRUE(has_problem(converted, 5, "/hosts/0/port", "\"hosts[0].port\" must be an integer, got \"https\""));
  EXPECT_TRUE(has_problem(converted, 6, "/hosts/1/name", "missing required key \"hosts[1].name\""));
  EXPECT_TRUE(has_problem(converted, 6, "/hosts/1/port", "\"hosts[1].port\" must be at most 65535"));
  EXPECT_EQ(converted.problems.size(), 4U);
}

TEST(ConvertWithSchema, ReportsAMappingWhereAScalarIsExpectedAtTheValue) {
  const auto converted = convert(
      "url:\n"                          // 1
      "  host: ca.test\n",              // 2
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 2, "/url", "\"url\" must be a string, got a mapping"));
}

TEST(ConvertWithSchema, ReportsAWholeConfigOfTheWrongKind) {
  const auto converted = convert("- a\n- b\n", kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 1, "", "\"config\" must be a mapping, got a list"));
  EXPECT_EQ(converted.problems.size(), 1U);
}

TEST(ConvertWithSchema, ReportsArrayItemsOfTheWrongType) {
  const auto converted = convert(
      "ports:\n"                        // 1
      "  - 80\n"                        // 2
      "  - http\n",                     // 3
      R"({"type": "object", "properties": {"ports": {"type": "array", "items": {"type": "integer"}}}})");
  EXPECT_TRUE(has_problem(converted, 3, "/ports/1", "\"ports[1]\" must be an integer, got \"http\""));
  EXPECT_EQ(converted.value["ports"][0], json(80));
}

TEST(ConvertWithSchema, FollowsAliases) {
  const auto converted = convert(
      "endpoint: &main\n"
      "  url: https://ca.test\n"
      "hosts:\n"
      "  - name: *main\n",
      R"({"type": "object", "properties": {
        "endpoint": {"type": "object", "properties": {"url": {"type": "string"}}},
        "hosts": {"type": "array", "items": {"type": "object", "additionalProperties": true}}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value["hosts"][0]["name"]["url"], json("https://ca.test"));
}

// ---------------------------------------------------------------- keys

TEST(ConvertWithSchema, ReportsUnknownKeysAtTheKey) {
  const auto converted = convert(
      "urll: https://ca.test\n"         // 1
      "url: https://ca.test\n",         // 2
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 1, "/urll", "unknown key \"urll\" (expected one of: timeout, url)"));
  EXPECT_EQ(converted.problems.size(), 1U);
  EXPECT_FALSE(converted.value.contains("urll"));
}

TEST(ConvertWithSchema, ReportsUnknownNestedKeysWithTheirPath) {
  const auto converted = convert(
      "endpoint:\n"                     // 1
      "  url: https://ca.test\n"        // 2
      "  retries: 3\n",                 // 3
      kNestedSchema);
  EXPECT_TRUE(has_problem(converted, 3, "/endpoint/retries",
                          "unknown key \"endpoint.retries\" (expected one of: timeout, url)"));
}

TEST(ConvertWithSchema, ReportsKeysWhereNoneAreAllowed) {
  const auto converted = convert("x: 1\n", R"({"type": "object"})");
  EXPECT_TRUE(has_problem(converted, 1, "/x", "unknown key \"x\" (no keys are allowed here)"));
}

TEST(ConvertWithSchema, ConvertsAdditionalPropertiesGenerically) {
  const auto converted = convert(
      "url: https://ca.test\n"
      "count: 5\n"
      "ratio: 1.5\n"
      "flag: true\n"
      "word: yes\n"
      "text: \"5\"\n"
      "nothing:\n"
      "labels: {team: pki, tier: 1}\n"
      "list: [1, two]\n",
      R"({"type": "object", "properties": {"url": {"type": "string"}}, "additionalProperties": true})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value, json::parse(R"({
    "url": "https://ca.test", "count": 5, "ratio": 1.5, "flag": true, "word": "yes", "text": "5",
    "nothing": null, "labels": {"team": "pki", "tier": 1}, "list": [1, "two"]})"));
  EXPECT_EQ(converted.lines.line_of("/labels/tier"), 8);
}

TEST(ConvertWithSchema, ReportsMissingRequiredKeysAtTheMapping) {
  const auto converted = convert(
      "# a comment\n"                   // 1
      "timeout: 5\n",                   // 2
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 2, "/url", "missing required key \"url\""));
  EXPECT_EQ(converted.problems.size(), 1U);
}

TEST(ConvertWithSchema, ReportsMissingKeysOfAnEmptySectionAtItsKey) {
  const auto converted = convert(
      "endpoint:\n"                     // 1
      "hosts: []\n",                    // 2
      kNestedSchema);
  EXPECT_TRUE(has_problem(converted, 1, "/endpoint/url", "missing required key \"endpoint.url\""));
  EXPECT_EQ(converted.value["endpoint"], json::object());
}

TEST(ConvertWithSchema, ReportsDuplicateKeys) {
  const auto converted = convert(
      "url: https://a.test\n"           // 1
      "url: https://b.test\n",          // 2
      kEndpointSchema);
  EXPECT_TRUE(has_problem(converted, 2, "/url", "duplicate key \"url\""));
  EXPECT_EQ(converted.value["url"], json("https://a.test"));
}

TEST(ConvertWithSchema, EscapesKeysInPointers) {
  const auto converted = convert(
      "paths:\n"
      "  a/b: 1\n"
      "  c~d: 2\n",
      R"({"type": "object", "properties": {"paths": {"type": "object", "additionalProperties": true}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.lines.line_of("/paths/a~1b"), 2);
  EXPECT_EQ(converted.lines.line_of("/paths/c~0d"), 3);
}

// ---------------------------------------------------------------- empty sections and defaults

TEST(ConvertWithSchema, AMissingOrNullSectionIsAnEmptyObject) {
  const std::string schema = R"({"type": "object", "properties": {"dir": {"type": "string", "default": "/var/lib/x"}}})";
  const YAML::Node document = YAML::Load("name: a\nconfig:\n");
  const json parsed = schema_from(schema);

  const auto from_null = convert_with_schema(document["config"], parsed);
  ASSERT_TRUE(no_problems(from_null));
  EXPECT_EQ(from_null.value, json::parse(R"({"dir": "/var/lib/x"})"));

  const YAML::Node& const_document = document;
  const auto from_missing = convert_with_schema(const_document["absent"], parsed);
  ASSERT_TRUE(no_problems(from_missing));
  EXPECT_EQ(from_missing.value, json::parse(R"({"dir": "/var/lib/x"})"));
}

TEST(ConvertWithSchema, ReportsMissingKeysOfAMissingSectionAtTheGivenKeyLine) {
  const YAML::Node document = YAML::Load("name: a\nconfig:\nother: b\n");
  const auto converted = convert_with_schema(document["config"], schema_from(kEndpointSchema), 2);
  EXPECT_TRUE(has_problem(converted, 2, "/url", "missing required key \"url\""));
  EXPECT_EQ(converted.lines.line_of("/url"), 2);

  const auto without_line = convert_with_schema(document["config"], schema_from(kEndpointSchema));
  EXPECT_TRUE(has_problem(without_line, 0, "/url", "missing required key \"url\""));
}

TEST(ConvertWithSchema, FillsDefaultsOfMissingOptionalKeysOnly) {
  const auto converted = convert(
      "url: https://ca.test\n"
      "retries: 7\n",
      R"({"type": "object",
        "properties": {
          "url": {"type": "string", "default": "unused"},
          "retries": {"type": "integer", "default": 3},
          "timeout": {"type": "integer", "default": 30},
          "token": {"type": "string", "default": "x"},
          "tls": {"type": "object", "default": {},
                  "properties": {"verify": {"type": "boolean", "default": true}}}
        },
        "required": ["url", "token"]})");
  EXPECT_TRUE(has_problem(converted, 1, "/token", "missing required key \"token\""));
  EXPECT_EQ(converted.problems.size(), 1U);
  EXPECT_EQ(converted.value, json::parse(R"({
    "url": "https://ca.test", "retries": 7, "timeout": 30, "tls": {"verify": true}})"));
}

TEST(ConvertWithSchema, FillsDefaultsInsideSectionsThatArePresent) {
  const auto converted = convert(
      "tls:\n"
      "  ca_file: /etc/ca.pem\n",
      R"({"type": "object", "properties": {"tls": {"type": "object", "properties": {
        "ca_file": {"type": "string"}, "verify": {"type": "boolean", "default": true}}}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value, json::parse(R"({"tls": {"ca_file": "/etc/ca.pem", "verify": true}})"));
}

// ---------------------------------------------------------------- keyword failures

TEST(ConvertWithSchema, ChecksMinimumAndMaximum) {
  const auto converted = convert(
      "port: 70000\n"                   // 1
      "workers: 0\n"                    // 2
      "ratio: 1.5\n"                    // 3
      "ok: 10\n",                       // 4
      R"({"type": "object", "properties": {
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "workers": {"type": "integer", "minimum": 1},
        "ratio": {"type": "number", "maximum": 0.5},
        "ok": {"type": "integer", "minimum": 10, "maximum": 10}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/port", "\"port\" must be at most 65535"));
  EXPECT_TRUE(has_problem(converted, 2, "/workers", "\"workers\" must be at least 1"));
  EXPECT_TRUE(has_problem(converted, 3, "/ratio", "\"ratio\" must be at most 0.5"));
  EXPECT_EQ(converted.problems.size(), 3U);
}

TEST(ConvertWithSchema, ChecksLengthsInCharacters) {
  const auto converted = convert(
      "short: ab\n"                     // 1
      "long: abcdef\n"                  // 2
      "accented: héllo\n"               // 3
      "one: ab\n",                      // 4
      R"({"type": "object", "properties": {
        "short": {"type": "string", "minLength": 3},
        "long": {"type": "string", "maxLength": 5},
        "accented": {"type": "string", "minLength": 5, "maxLength": 5},
        "one": {"type": "string", "maxLength": 1}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/short", "\"short\" must be at least 3 characters long"));
  EXPECT_TRUE(has_problem(converted, 2, "/long", "\"long\" must be at most 5 characters long"));
  EXPECT_TRUE(has_problem(converted, 4, "/one", "\"one\" must be at most 1 character long"));
  EXPECT_EQ(converted.problems.size(), 3U);
}

TEST(ConvertWithSchema, PatternsMatchAnywhereUnlessAnchored) {
  const auto converted = convert(
      "loose: abc123\n"                 // 1
      "anchored: abc123\n"              // 2
      "digits: abc\n",                  // 3
      R"({"type": "object", "properties": {
        "loose": {"type": "string", "pattern": "[0-9]+"},
        "anchored": {"type": "string", "pattern": "^[a-z]+$"},
        "digits": {"type": "string", "pattern": "\\d"}}})");
  EXPECT_TRUE(has_problem(converted, 2, "/anchored",
                          "\"anchored\" must match the pattern \"^[a-z]+$\""));
  EXPECT_TRUE(has_problem(converted, 3, "/digits", "\"digits\" must match the pattern \"\\d\""));
  EXPECT_EQ(converted.problems.size(), 2U);
}

TEST(ConvertWithSchema, ChecksItemCounts) {
  const auto converted = convert(
      "none: []\n"                      // 1
      "many: [a, b, c]\n"               // 2
      "one:\n"                          // 3
      "  - a\n"                         // 4
      "  - b\n",                        // 5
      R"({"type": "object", "properties": {
        "none": {"type": "array", "minItems": 1},
        "many": {"type": "array", "maxItems": 2},
        "one": {"type": "array", "maxItems": 1}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/none", "\"none\" must have at least 1 item"));
  EXPECT_TRUE(has_problem(converted, 2, "/many", "\"many\" must have at most 2 items"));
  EXPECT_TRUE(has_problem(converted, 4, "/one", "\"one\" must have at most 1 item"));
  EXPECT_EQ(converted.problems.size(), 3U);
}

TEST(ConvertWithSchema, ComparesEnumsAfterConversion) {
  const auto converted = convert(
      "mode: c\n"                       // 1
      "level: 2\n"                      // 2
      "bad_level: 4\n"                  // 3
      "ratio: 0.5\n",                   // 4
      R"({"type": "object", "properties": {
        "mode": {"type": "string", "enum": ["a", "b"]},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "bad_level": {"type": "integer", "enum": [1, 2, 3]},
        "ratio": {"type": "number", "enum": [0.5, 1]}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/mode", "\"mode\" must be one of: a, b"));
  EXPECT_TRUE(has_problem(converted, 3, "/bad_level", "\"bad_level\" must be one of: 1, 2, 3"));
  EXPECT_EQ(converted.problems.size(), 2U);
  EXPECT_EQ(converted.value["level"], json(2));
}

TEST(ConvertWithSchema, ReportsEveryProblemAtOnceInLineOrder) {
  const auto converted = convert(
      "endpoint:\n"                     // 1
      "  timeout: soon\n"               // 2
      "  urll: x\n"                     // 3
      "hosts:\n"                        // 4
      "  - name: [x]\n"                 // 5
      "  - port: 0x50\n"                // 6
      "extra: 1\n",                     // 7
      kNestedSchema);
  ASSERT_EQ(converted.problems.size(), 7U) << list_problems(converted);
  EXPECT_TRUE(has_problem(converted, 2, "/endpoint/timeout", "\"endpoint.timeout\" must be an integer, got \"soon\""));
  EXPECT_TRUE(has_problem(converted, 2, "/endpoint/url", "missing required key \"endpoint.url\""));
  EXPECT_TRUE(has_problem(converted, 3, "/endpoint/urll",
                          "unknown key \"endpoint.urll\" (expected one of: timeout, url)"));
  EXPECT_TRUE(has_problem(converted, 5, "/hosts/0/name", "\"hosts[0].name\" must be a string, got a list"));
  EXPECT_TRUE(has_problem(converted, 6, "/hosts/1/port", "\"hosts[1].port\" must be an integer, got \"0x50\""));
  EXPECT_TRUE(has_problem(converted, 6, "/hosts/1/name", "missing required key \"hosts[1].name\""));
  EXPECT_TRUE(has_problem(converted, 7, "/extra", "unknown key \"extra\" (expected one of: endpoint, hosts)"));
  for (std::size_t i = 1; i < converted.problems.size(); ++i)
    EXPECT_LE(converted.problems[i - 1].line, converted.problems[i].line);
}

TEST(ConvertWithSchema, ReportsAnInvalidSchemaInsteadOfConverting) {
  const auto converted = convert_with_schema(YAML::Load("a: 1\n"), json::parse(R"({"type": "object", "oneOf": []})"));
  ASSERT_EQ(converted.problems.size(), 1U);
  EXPECT_EQ(converted.problems[0].line, 0);
  EXPECT_NE(converted.problems[0].message.find("unsupported keyword \"oneOf\""), std::string::npos)
      << converted.problems[0].message;
}

TEST(ConvertWithSchema, AnUntypedSchemaTakesAnything) {
  const auto converted = convert(
      "free: {a: 1, b: [true, x]}\n",
      R"({"type": "object", "properties": {"free": {"description": "anything"}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value["free"], json::parse(R"({"a": 1, "b": [true, "x"]})"));
}

TEST(ConvertWithSchema, LocatesProblemsUnderKeysWithSlashesAndTildes) {
  const auto converted = convert(
      "a/b:\n"                          // 1
      "  c~d: 0\n",                     // 2
      R"({"type": "object", "properties": {"a/b": {"type": "object",
        "properties": {"c~d": {"type": "integer", "minimum": 1}, "e'f.": {}}, "required": ["e'f."]}}})");
  EXPECT_TRUE(has_problem(converted, 2, "/a~1b/c~0d", "\"a/b.c~d\" must be at least 1"));
  EXPECT_TRUE(has_problem(converted, 2, "/a~1b/e'f.", "missing required key \"a/b.e'f.\""));
  EXPECT_EQ(converted.problems.size(), 2U);
}

TEST(ConvertWithSchema, NamesItemsOfAWholeConfigList) {
  const auto converted = convert(
      "- port: 0\n"                     // 1
      "- name: b\n",                    // 2
      R"({"type": "array", "items": {"type": "object",
        "properties": {"name": {"type": "string"}, "port": {"type": "integer", "minimum": 1}},
        "required": ["name"]}})");
  EXPECT_TRUE(has_problem(converted, 1, "/0/port", "\"config[0].port\" must be at least 1"));
  EXPECT_TRUE(has_problem(converted, 1, "/0/name", "missing required key \"config[0].name\""));
  EXPECT_EQ(converted.problems.size(), 2U);
}

// Defaults are the plugin's: one outside its own schema is filled in, not reported to the operator.
TEST(ConvertWithSchema, DoesNotCheckDefaults) {
  const auto converted = convert("{}\n", R"({"type": "object", "properties": {
        "name": {"type": "string", "minLength": 4, "default": "bad"},
        "tls": {"type": "object", "default": {},
                "properties": {"port": {"type": "integer", "maximum": 1, "default": 5}}}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value, json::parse(R"({"name": "bad", "tls": {"port": 5}})"));
}

// Annotations are not checked: valijson would refuse a "description" that is not text.
TEST(ConvertWithSchema, IgnoresAnnotationsOfAnyType) {
  const auto converted = convert("a: x\n", R"({"type": "object", "title": null, "properties": {
        "a": {"type": "string", "description": 5, "examples": "x", "minLength": 2}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/a", "\"a\" must be at least 2 characters long"));
  EXPECT_EQ(converted.problems.size(), 1U);
}

TEST(ConvertWithSchema, CountsCharactersOfEveryLengthOfUtf8) {
  const auto converted = convert(
      "one: \"\xF0\x9F\x92\xA9\"\n"          // U+1F4A9: four bytes, one character
      "two: \"\xE6\x97\xA5\xE6\x9C\xAC\"\n",  // two characters of three bytes
      R"({"type": "object", "properties": {
        "one": {"type": "string", "minLength": 1, "maxLength": 1},
        "two": {"type": "string", "minLength": 2, "maxLength": 2}}})");
  ASSERT_TRUE(no_problems(converted));
  EXPECT_EQ(converted.value["one"], json("\xF0\x9F\x92\xA9"));
}

std::string file_holding(const std::string& name, const std::string& content) {
  const std::string path = std::string(::testing::TempDir()) + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// valijson measures lengths up to the first NUL and reads out of bounds on malformed UTF-8 (a ${file:} may hold
// binary data), so such text is refused before validation, and never quoted: it may be a secret.
TEST(ConvertWithSchema, RefusesTextThatIsNotUtf8OrHoldsNul) {
  const std::string binary = file_holding("signet-binary-secret", std::string(10, '\x80') + "s3cret");
  const std::string overlong = file_holding("signet-overlong-secret", "s3cret\xC0\xAF");
  const std::string surrogate = file_holding("signet-surrogate-secret", "s3cret\xED\xA0\x80");
  const auto converted = convert(
      "token: ${file:" + binary + "}\n"      // 1
      "key: \"s3cret\\0tail\"\n"            // 2
      "free: ${file:" + overlong + "}\n"     // 3
      "list:\n"                              // 4
      "  - ${file:" + surrogate + "}\n",     // 5
      R"({"type": "object", "properties": {
        "token": {"type": "string", "maxLength": 100}, "key": {"type": "string", "maxLength": 3},
        "free": {"maxLength": 100}, "list": {"type": "array"}}})");
  EXPECT_TRUE(has_problem(converted, 1, "/token", "\"token\" must be UTF-8 text without NUL characters"));
  EXPECT_TRUE(has_problem(converted, 2, "/key", "\"key\" must be UTF-8 text without NUL characters"));
  EXPECT_TRUE(has_problem(converted, 3, "/free", "\"free\" must be UTF-8 text without NUL characters"));
  EXPECT_TRUE(has_problem(converted, 5, "/list/0", "\"list[0]\" must be UTF-8 text without NUL characters"));
  EXPECT_EQ(converted.problems.size(), 4U);
  for (const auto& problem : converted.problems) EXPECT_EQ(problem.message.find("s3cret"), std::string::npos);
}

// ---------------------------------------------------------------- validate_json

// One line per problem, sorted: the order of valijson's errors is its own.
std::string listed(const std::vector<SchemaProblem>& problems) {
  std::vector<std::string> lines;
  for (const auto& problem : problems) lines.push_back(problem.pointer + ": " + problem.message + "\n");
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& line : lines) text += line;
  return text;
}

// Also pins valijson's descriptions: reworded ones would show as "fails the schema: <valijson's words>".
TEST(ValidateJsonAgainstSchema, WordsEveryKeywordFailureAsForYaml) {
  const json schema = schema_from(R"({"type": "object", "required": ["url"], "properties": {
      "url": {"type": "string"}, "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "ratio": {"type": "number", "maximum": 0.5}, "name": {"type": "string", "minLength": 2, "maxLength": 3},
      "word": {"type": "string", "maxLength": 1, "pattern": "^[a-z]+$"}, "mode": {"enum": ["a", 2]},
      "hosts": {"type": "array", "minItems": 1, "items": {"type": ["integer", "boolean"]}},
      "tags": {"type": "array", "maxItems": 1}, "short": {"type": "string", "minLength": 3}}})");
  const auto problems = validate_json(json::parse(R"({"port": 0, "ratio": 0.75, "name": "abcd", "word": "A1",
      "mode": "b", "hosts": [], "tags": [1, 2], "short": "a", "extra": true})"), schema);
  EXPECT_EQ(listed(problems),
            "/extra: unknown key \"extra\" (expected one of: hosts, mode, name, port, ratio, short, tags, url, "
            "word)\n"
            "/hosts: \"hosts\" must have at least 1 item\n"
            "/mode: \"mode\" must be one of: a, 2\n"
            "/name: \"name\" must be at most 3 characters long\n"
            "/port: \"port\" must be at least 1\n"
            "/ratio: \"ratio\" must be at most 0.5\n"
            "/short: \"short\" must be at least 3 characters long\n"
            "/tags: \"tags\" must have at most 1 item\n"
            "/url: missing required key \"url\"\n"
            "/word: \"word\" must be at most 1 character long\n"
            "/word: \"word\" must match the pattern \"^[a-z]+$\"\n");
}

TEST(ValidateJsonAgainstSchema, NamesTheTypesAValueMustHave) {
  const json schema = schema_from(R"({"type": "object", "properties": {
      "port": {"type": "integer"}, "hosts": {"type": "array", "items": {"type": ["integer", "boolean"]}}}})");
  const auto problems = validate_json(json::parse(R"({"port": 1.5, "hosts": [1, "x"]})"), schema);
  EXPECT_EQ(listed(problems),
            "/hosts/1: \"hosts[1]\" must be an integer or true or false\n"
            "/port: \"port\" must be an integer\n");
  EXPECT_EQ(listed(validate_json(json::parse("[]"), schema)), ": \"config\" must be a mapping\n");
}

TEST(ValidateJsonAgainstSchema, ReportsAnInvalidSchema) {
  const auto problems = validate_json(json::object(), json::parse(R"({"format": "uri"})"));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].message,
            "the plugin's configuration schema is invalid: unsupported keyword \"format\" at the schema root");
}

// ---------------------------------------------------------------- LineMap

TEST(LineMap, FallsBackToTheLongestKnownAncestor) {
  LineMap lines;
  lines.set("", 1);
  lines.set("/endpoint", 4);
  lines.set("/endpoint/url", 5);
  lines.set("/items/0", 9);
  EXPECT_EQ(lines.line_of("/endpoint/url"), 5);
  EXPECT_EQ(lines.line_of("/endpoint/url/extra/deeper"), 5);
  EXPECT_EQ(lines.line_of("/endpoint/timeout"), 4);
  EXPECT_EQ(lines.line_of("/items/0/name"), 9);
  EXPECT_EQ(lines.line_of("/items/1"), 1);   // "/items" is unknown, the root is not
  EXPECT_EQ(lines.line_of("/endpointx"), 1);  // prefixes are whole tokens, not characters
}

TEST(LineMap, ReturnsZeroWhenNothingIsKnown) {
  LineMap lines;
  EXPECT_EQ(lines.line_of(""), 0);
  EXPECT_EQ(lines.line_of("/a/b"), 0);
  lines.set("/a", 0);  // unknown lines are not stored
  EXPECT_EQ(lines.line_of("/a"), 0);
  lines.set("/a", 3);
  lines.set("/a", 6);
  EXPECT_EQ(lines.line_of("/a/b"), 6);
}

// ---------------------------------------------------------------- check_schema

std::string rejection(const std::string& schema_text) {
  const auto error = check_schema(json::parse(schema_text));
  return error ? *error : "(accepted)";
}

TEST(CheckSchema, AcceptsEverySupportedKeyword) {
  EXPECT_EQ(check_schema(json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "t", "description": "d", "examples": [{}],
    "type": "object",
    "additionalProperties": false,
    "required": ["name"],
    "properties": {
      "name": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z]+$", "default": "x"},
      "port": {"type": ["integer", "string"], "minimum": 1, "maximum": 65535.5},
      "mode": {"enum": ["a", "b"]},
      "list": {"type": "array", "minItems": 0, "maxItems": 3, "items": {"type": "boolean"}},
      "ratio": {"type": "number"}
    }})")),
            std::nullopt);
}

TEST(CheckSchema, RejectsUnsupportedKeywordsWithTheirLocation) {
  EXPECT_EQ(rejection(R"({"type": "object", "oneOf": []})"), "unsupported keyword \"oneOf\" at the schema root");
  EXPECT_EQ(rejection(R"({"properties": {"url": {"type": "string", "format": "uri"}}})"),
            "unsupported keyword \"format\" at /properties/url");
  EXPECT_EQ(rejection(R"({"items": {"$ref": "#/x"}})"), "unsupported keyword \"$ref\" at /items");
}

TEST(CheckSchema, RejectsUnsupportedTypes) {
  EXPECT_EQ(rejection(R"({"type": "null"})"), "unsupported type \"null\" at the schema root");
  EXPECT_EQ(rejection(R"({"type": ["string", "date"]})"), "unsupported type \"date\" at the schema root");
  EXPECT_EQ(rejection(R"({"type": []})"),
            "\"type\" must be a type name or a non-empty array of them at the schema root");
  EXPECT_EQ(rejection(R"({"type": ["string", "string"]})"), "type \"string\" is listed twice at the schema root");
}

TEST(CheckSchema, RejectsMalformedKeywordValues) {
  EXPECT_EQ(rejection(R"({"additionalProperties": {"type": "string"}})"),
            "\"additionalProperties\" must be true or false (subschemas are not supported) at the schema root");
  EXPECT_EQ(rejection(R"({"properties": []})"), "\"properties\" must be an object at the schema root");
  EXPECT_EQ(rejection(R"({"properties": {"a": true}})"), "a schema must be a JSON object at /properties/a");
  EXPECT_EQ(rejection(R"({"items": [{"type": "string"}]})"), "a schema must be a JSON object at /items");
  EXPECT_EQ(rejection(R"({"required": "url", "properties": {"url": {}}})"),
            "\"required\" must be an array of property names at the schema root");
  EXPECT_EQ(rejection(R"({"enum": []})"), "\"enum\" must be a non-empty array at the schema root");
  EXPECT_EQ(rejection(R"({"minimum": "1"})"), "\"minimum\" must be a number at the schema root");
  EXPECT_EQ(rejection(R"({"minLength": -1})"), "\"minLength\" must be a non-negative integer at the schema root");
  EXPECT_EQ(rejection(R"({"maxItems": 1.5})"), "\"maxItems\" must be a non-negative integer at the schema root");
  EXPECT_NE(rejection(R"({"pattern": "([a-z"})").find("\"pattern\" \"([a-z\" is not a valid regular expression"),
            std::string::npos);
  EXPECT_EQ(rejection(R"("object")"), "a schema must be a JSON object at the schema root");
}

TEST(CheckSchema, RejectsRequiredKeysAClosedObjectCannotHold) {
  EXPECT_EQ(rejection(R"({"type": "object", "properties": {"url": {}}, "required": ["urll"]})"),
            "required key \"urll\" is not among the properties at the schema root");
  EXPECT_EQ(rejection(R"({"type": "object", "additionalProperties": true, "required": ["anything"]})"), "(accepted)");
}

TEST(ParseSchema, RejectsTextThatIsNotJson) {
  json schema;
  const auto error = parse_schema(R"({"type": "object",})", schema);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->rfind("the schema is not valid JSON: ", 0), 0U) << *error;
}

TEST(ParseSchema, ParsesAndChecks) {
  json schema;
  EXPECT_EQ(parse_schema(R"({"type": "string"})", schema), std::nullopt);
  EXPECT_EQ(schema, json::parse(R"({"type": "string"})"));
  EXPECT_EQ(parse_schema(R"({"type": "string", "const": "x"})", schema),
            "unsupported keyword \"const\" at the schema root");
}

TEST(ConvertWithSchema, AnEnvironmentDefaultStandsInForAnUnsetOrEmptyVariable) {
  ::unsetenv("SIGNET_TEST_UNSET");
  ::setenv("SIGNET_TEST_EMPTY", "", 1);
  ::setenv("SIGNET_TEST_SET", "CodeSigningCertificate/V1", 1);
  const auto schema = nlohmann::json::parse(R"({"type": "object", "properties": {
      "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}, "d": {"type": "string"}}})");
  const auto converted = convert_with_schema(
      YAML::Load("a: ${env:SIGNET_TEST_UNSET:-EndEntityServerAuthCertificate/V1}\nb: ${env:SIGNET_TEST_EMPTY:-x}\n"
                 "c: ${env:SIGNET_TEST_SET:-x}\nd: pre-${env:SIGNET_TEST_UNSET:-}-post\n"),
      schema);
  ASSERT_TRUE(converted.problems.empty()) << converted.problems[0].message;
  EXPECT_EQ(converted.value["a"], "EndEntityServerAuthCertificate/V1");
  EXPECT_EQ(converted.value["b"], "x");
  EXPECT_EQ(converted.value["c"], "CodeSigningCertificate/V1");
  EXPECT_EQ(converted.value["d"], "pre--post");
}

}  // namespace
}  // namespace signet::host

namespace signet::host {
namespace {

// Secrets need not sit in the file: plugin configs resolve references too.
TEST(ConvertWithSchema, ResolvesEnvironmentAndFileReferences) {
  ::setenv("SIGNET_TEST_SECRET_PORT", "8443", 1);
  const std::string file = std::string(::testing::TempDir()) + "signet-secret.txt";
  std::ofstream(file) << "s3cret\n";
  const auto schema = nlohmann::json::parse(R"({"type": "object", "properties": {
      "port": {"type": "integer"}, "password": {"type": "string"}}})");
  const auto converted = convert_with_schema(
      YAML::Load("port: ${env:SIGNET_TEST_SECRET_PORT}\npassword: ${file:" + file + "}\n"), schema);
  EXPECT_TRUE(converted.problems.empty());
  EXPECT_EQ(converted.value["port"], 8443);
  EXPECT_EQ(converted.value["password"], "s3cret");
}

TEST(ConvertWithSchema, AnUnsetReferenceIsAProblemWithItsLine) {
  ::unsetenv("SIGNET_TEST_UNSET");
  const auto schema = nlohmann::json::parse(R"({"type": "object", "properties": {"token": {"type": "string"}}})");
  const auto converted = convert_with_schema(YAML::Load("\ntoken: ${env:SIGNET_TEST_UNSET}\n"), schema);
  ASSERT_EQ(converted.problems.size(), 1u);
  EXPECT_EQ(converted.problems[0].line, 2);
  EXPECT_NE(converted.problems[0].message.find("environment variable SIGNET_TEST_UNSET is not set"), std::string::npos)
      << converted.problems[0].message;
}

}  // namespace
}  // namespace signet::host
