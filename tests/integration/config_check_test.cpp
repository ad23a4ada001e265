// `signet config check FILE` on broken configurations: exit status 1 and one
// line per problem, each naming the file and the line; a valid file is "ok".
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "signet_process.hpp"

namespace {

const std::string kBroken = SIGNET_TEST_BROKEN_DIR;
const std::string kPlugins = SIGNET_TEST_PLUGIN_DIR;

struct Check {
  int status = -1;
  std::string file, out, err;
  std::vector<std::string> lines;  // of stderr
};

// Writes `yaml` to a fresh directory and runs `signet config check` on it.
Check config_check(const std::string& yaml) {
  const signet::test::TempDir dir;
  Check check;
  check.file = dir.write("signet.yaml", yaml);
  const auto run = signet::test::run_signet(dir, "config check '" + check.file + "'");
  check.status = run.status;
  check.out = run.out;
  check.err = run.err;
  check.lines = signet::test::lines_of(run.err);
  return check;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

const std::string kPluginsSection =
    "plugins:\n"                                                        // 3
    "  directories: [" + kPlugins + ", " + kBroken + "]\n"              // 4
    "  ca:\n"                                                           // 5
    "    myca: {plugin: ca-no-revoke}\n"                                // 6
    "  notifier:\n"                                                     // 7
    "    events: {plugin: notify-jsonl, config: {path: /tmp/signet-never-written.jsonl}}\n";  // 8

TEST(ConfigCheck, AcceptsAValidFile) {
  const Check c = config_check("data_dir: /tmp/signet-never-created\n"
                               "server: {listen: \"127.0.0.1:0\", tls: {enabled: false}}\n" +
                               kPluginsSection +
                               "pipelines:\n"
                               "  issue: {sign: myca, notify: [events]}\n");
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_TRUE(c.lines.empty()) << c.err;
  EXPECT_EQ(c.out, c.file + ": ok\n");
}

TEST(ConfigCheck, MalformedYaml) {
  const Check c = config_check("data_dir: /tmp/x\n"
                               "log_level: info\n"
                               "runner: {workers: 4\n"
                               "pipelines: {}\n");
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_TRUE(starts_with(c.lines[0], c.file + ":4: invalid YAML: ")) << c.lines[0];
}

TEST(ConfigCheck, UnknownTopLevelKey) {
  const Check c = config_check("data_dir: /tmp/x\n"
                               "log_level: info\n"
                               "colour: blue\n");
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_TRUE(starts_with(c.lines[0], c.file + ":3: unknown key colour (expected one of: ")) << c.lines[0];
  EXPECT_NE(c.lines[0].find("data_dir"), std::string::npos) << c.lines[0];
}

TEST(ConfigCheck, WrongType) {
  const Check c = config_check("data_dir: /tmp/x\n"
                               "log_level: info\n"
                               "runner: {workers: many}\n");
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_EQ(c.lines[0], c.file + ":3: runner.workers must be an integer, got \"many\"");
}

TEST(ConfigCheck, PipelineStepNamesAnUnknownInstance) {
  const Check c = config_check("data_dir: /tmp/x\n"
                               "log_level: info\n" +
                               kPluginsSection +
                               "pipelines:\n"                       // 9
                               "  issue: {sign: ghost, notify: [events]}\n");  // 10
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_EQ(c.lines[0], c.file + ":10: pipelines.issue.sign names unknown instance \"ghost\"");
}

TEST(ConfigCheck, PipelineStepNamesAnInstanceOfTheWrongKind) {
  const Check c = config_check("data_dir: /tmp/x\n"
                               "log_level: info\n" +
                               kPluginsSection +
                               "pipelines:\n"                       // 9
                               "  issue: {sign: events}\n");        // 10
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_EQ(c.lines[0], c.file + ":10: pipelines.issue.sign needs a ca instance, but \"events\" is a notifier");
}

TEST(ConfigCheck, UnsetEnvironmentVariable) {
  ::unsetenv("UNSET_VAR_XYZ");
  const Check c = config_check("log_level: info\n"
                               "data_dir: ${env:UNSET_VAR_XYZ}\n");
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 1u) << c.err;
  EXPECT_TRUE(starts_with(c.lines[0], c.file + ":2: ")) << c.lines[0];
  EXPECT_NE(c.lines[0].find("environment variable UNSET_VAR_XYZ is not set"), std::string::npos) << c.lines[0];
}

TEST(ConfigCheck, ReportsEveryProblemOfAFileAtOnce) {
  ::unsetenv("UNSET_VAR_XYZ");
  const Check c = config_check("data_dir: ${env:UNSET_VAR_XYZ}\n"   // 1
                               "colour: blue\n"                     // 2
                               "runner: {workers: many}\n" +        // 3
                               kPluginsSection +                    // 4-9
                               "pipelines:\n"                       // 10
                               "  issue: {sign: ghost, notify: [myca]}\n");  // 11
  EXPECT_EQ(c.status, 1);
  ASSERT_EQ(c.lines.size(), 5u) << c.err;
  const std::string all = c.err;
  EXPECT_NE(all.find(c.file + ":1: "), std::string::npos) << all;
  EXPECT_NE(all.find("environment variable UNSET_VAR_XYZ is not set"), std::string::npos) << all;
  EXPECT_NE(all.find(c.file + ":2: unknown key colour"), std::string::npos) << all;
  EXPECT_NE(all.find(c.file + ":3: runner.workers must be an integer, got \"many\""), std::string::npos) << all;
  EXPECT_NE(all.find(c.file + ":11: pipelines.issue.sign names unknown instance \"ghost\""), std::string::npos) << all;
  EXPECT_NE(all.find(c.file + ":11: pipelines.issue.notify needs a notifier instance, but \"myca\" is a ca"),
            std::string::npos) << all;
}

}  // namespace
