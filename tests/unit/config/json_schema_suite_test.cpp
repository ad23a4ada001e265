// The official JSON-Schema-Test-Suite (draft7) for the keywords Signet supports, through validate_json: the
// checks that convert_with_schema makes after converting YAML. Groups whose schema Signet refuses are skipped,
// and the cases where Signet deliberately departs from draft-07 expect the opposite verdict; both lists are
// pinned, so that a change in what Signet accepts or how it decides shows up here.
#include "config/json_schema.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace signet::host {
namespace {

using nlohmann::json;

#ifndef SIGNET_JSON_SCHEMA_TEST_SUITE_DIR
#error "SIGNET_JSON_SCHEMA_TEST_SUITE_DIR must name the suite's tests directory (tests/CMakeLists.txt)"
#endif

const std::filesystem::path kSuiteDir = std::filesystem::path(SIGNET_JSON_SCHEMA_TEST_SUITE_DIR) / "draft7";

// One file per supported keyword; "default" is an annotation the suite checks is not validated.
const std::vector<std::string> kKeywordFiles = {
    "type",      "properties", "required", "additionalProperties", "items",    "enum",    "minimum",
    "maximum",   "minLength",  "maxLength", "minItems",            "maxItems", "pattern", "default",
};

// "file: group" of the groups whose schema check_schema refuses, and why.
const std::set<std::string> kSkippedGroups = {
    "type: null type matches only the null object",                                  // type "null"
    "properties: properties, patternProperties, additionalProperties interaction",  // patternProperties
    "properties: properties with boolean schema",                                    // boolean schemas
    "additionalProperties: additionalProperties being false does not allow other properties",  // patternProperties
    "additionalProperties: non-ASCII pattern with additionalProperties",                       // patternProperties
    "additionalProperties: additionalProperties allows a schema which should validate",        // a subschema
    "additionalProperties: additionalProperties can exist by itself",                          // a subschema
    "items: an array of schemas for items",                                                    // tuple items
    "items: items with boolean schema (true)",                                                 // boolean schemas
    "items: items with boolean schema (false)",
    "items: items with boolean schemas",
};

// "file: group: case" where Signet gives the opposite verdict: additionalProperties is false when absent.
const std::set<std::string> kDeviations = {
    "properties: object properties validation: doesn't invalidate other properties",
    "additionalProperties: additionalProperties are allowed by default: additional properties are allowed",
};

struct SuiteRun {
  std::set<std::string> skipped_groups;
  std::set<std::string> deviations_seen;
  int cases = 0;
};

json read_suite_file(const std::string& keyword) {
  const auto path = kSuiteDir / (keyword + ".json");
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return json::array();
  }
  return json::parse(in);
}

std::string problems_of(const std::vector<SchemaProblem>& problems) {
  std::string listed;
  for (const auto& problem : problems) listed += "\n  \"" + problem.pointer + "\": " + problem.message;
  return listed.empty() ? " (none)" : listed;
}

void run_case(const std::string& group_name, const json& schema, const json& test, SuiteRun& run) {
  const std::string name = group_name + ": " + test.at("description").get<std::string>();
  const bool deviates = kDeviations.count(name) > 0;
  if (deviates) run.deviations_seen.insert(name);
  const bool expected = test.at("valid").get<bool>() != deviates;
  const auto problems = validate_json(test.at("data"), schema);
  ++run.cases;
  EXPECT_EQ(problems.empty(), expected) << name << "\n  data: " << test.at("data").dump()
                                        << "\n  schema: " << schema.dump() << "\n  problems:" << problems_of(problems);
}

void run_group(const std::string& keyword, const json& group, SuiteRun& run) {
  const std::string name = keyword + ": " + group.at("description").get<std::string>();
  const json& schema = group.at("schema");
  if (check_schema(schema)) {
    run.skipped_groups.insert(name);
    return;
  }
  for (const auto& test : group.at("tests")) run_case(name, schema, test, run);
}

TEST(JsonSchemaSuite, Draft7CasesOfTheSupportedKeywordsGiveTheSuitesVerdict) {
  // scripts/setup installs the suite (Debian json-schema-test-suite): its absence is a failure, not a skip.
  ASSERT_TRUE(std::filesystem::is_directory(kSuiteDir)) << kSuiteDir << " is missing: run scripts/setup";
  SuiteRun run;
  for (const auto& keyword : kKeywordFiles) {
    for (const auto& group : read_suite_file(keyword)) run_group(keyword, group, run);
  }
  EXPECT_EQ(run.skipped_groups, kSkippedGroups) << "the schemas Signet accepts have changed";
  EXPECT_EQ(run.deviations_seen, kDeviations) << "a pinned deviation was not met";
  RecordProperty("cases", run.cases);
  EXPECT_GE(run.cases, 100);
}

}  // namespace
}  // namespace signet::host
