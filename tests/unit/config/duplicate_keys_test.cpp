// A key written twice in the host's configuration is an error with both
// lines: yaml-cpp keeps the first and would drop the second without a word.
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace signet::host {
namespace {

TEST(ConfigDuplicateKeys, AreReportedWithTheLineOfEach) {
  const auto loaded = load_config_text(R"(data_dir: /tmp/signet
runner: {workers: 2}
profiles:
  default: {max_ttl: 90d}
  default: {max_ttl: 30d}
runner: {max_attempts: 100}
)", "test.yaml");
  ASSERT_EQ(loaded.issues.size(), 2u);
  EXPECT_EQ(loaded.issues[0].line, 5);
  EXPECT_EQ(loaded.issues[0].message, "duplicate key \"profiles.default\" (first on line 4)");
  EXPECT_EQ(loaded.issues[1].line, 6);
  EXPECT_EQ(loaded.issues[1].message, "duplicate key \"runner\" (first on line 2)");
}

TEST(ConfigDuplicateKeys, LeavePluginConfigsToTheirSchema) {
  // A plugin's config is checked against its schema, which names repeats itself.
  const auto loaded = load_config_text(R"(plugins:
  notifier:
    events: {plugin: notify-jsonl, config: {path: /tmp/a, path: /tmp/b}}
)", "test.yaml");
  for (const auto& issue : loaded.issues) EXPECT_EQ(issue.message.find("duplicate key"), std::string::npos) << issue.message;
}

}  // namespace
}  // namespace signet::host
