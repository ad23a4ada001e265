// Schema upgrades with the real binary (docs/upgrading.md): `signet migrate
// --dry-run` lists what a fresh database lacks and changes nothing, `signet
// migrate` applies it, and a database that a newer release migrated is
// refused by `migrate` and by `serve`, which exits instead of running.
#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

int schema_version_of(const TempDir& dir, const std::string& data_dir) {
  const auto rows = query_database(dir, data_dir + "/signet.db", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  EXPECT_EQ(rows.status, 0) << rows.output;
  return rows.status == 0 ? std::stoi(rows.output) : -1;
}

TEST(Upgrade, DryRunListsThePendingMigrationsAndMigrateAppliesThem) {
  TempDir dir;
  const std::string data = dir.file("data"), flags = " --data-dir " + data + database_flag(dir);
  const SignetRun dry = run_signet(dir, "migrate --dry-run" + flags);
  ASSERT_EQ(dry.status, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("schema version 0;"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would apply:"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  1  "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  21  expiring certificates counted by day"), std::string::npos) << dry.out;
  EXPECT_EQ(schema_version_of(dir, data), 0) << "a dry run changes nothing";

  const SignetRun applied = run_signet(dir, "migrate" + flags);
  ASSERT_EQ(applied.status, 0) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("applying:"), std::string::npos) << applied.out;
  EXPECT_EQ(schema_version_of(dir, data), 21);
  const SignetRun again = run_signet(dir, "migrate --dry-run" + flags);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to apply"), std::string::npos) << again.out;
  EXPECT_EQ(run_signet(dir, "migrate --dry-run --data-dir").status, 2) << "usage";
}

TEST(Upgrade, ADatabaseANewerReleaseMigratedIsRefused) {
  TempDir dir;
  const std::string data = dir.file("data"), flags = " --data-dir " + data + database_flag(dir);
  ASSERT_EQ(run_signet(dir, "migrate" + flags).status, 0);
  const auto newer = query_database(dir, data + "/signet.db",
                                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)");
  ASSERT_EQ(newer.status, 0) << newer.output;

  const SignetRun refused = run_signet(dir, "migrate --dry-run" + flags);
  EXPECT_EQ(refused.status, 1) << refused.out;
  EXPECT_NE(refused.err.find("schema is at version 999, newer than this signet knows (21)"), std::string::npos) << refused.err;
  EXPECT_EQ(run_signet(dir, "audit verify" + flags).status, 1) << "offline commands refuse it too";

  SignetProcess host(dev_serve_args(dir, data), dir.file("serve.log"));
  EXPECT_FALSE(host.started()) << "the host must not run on a newer schema";
  EXPECT_NE(host.log().find("newer than this signet knows"), std::string::npos) << host.log();
  EXPECT_EQ(schema_version_of(dir, data), 999) << "nothing was written over it";
}

}  // namespace
}  // namespace signet::test
