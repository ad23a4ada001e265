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
  EXPECT_NE(dry.out.find("  22  issuing chains stored once"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  23  renewals found by their own index"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  24  names indexed for search in the background"), std::string::npos) << dry.out;
  EXPECT_EQ(schema_version_of(dir, data), 0) << "a dry run changes nothing";

  const SignetRun applied = run_signet(dir, "migrate" + flags);
  ASSERT_EQ(applied.status, 0) << applied.out << applied.err;
  EXPECT_NE(applied.out.find("applying:"), std::string::npos) << applied.out;
  EXPECT_EQ(schema_version_of(dir, data), 24);
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
  EXPECT_NE(refused.err.find("schema is at version 999, newer than this signet knows (24)"), std::string::npos) << refused.err;
  EXPECT_EQ(run_signet(dir, "audit verify" + flags).status, 1) << "offline commands refuse it too";

  SignetProcess host(dev_serve_args(dir, data), dir.file("serve.log"));
  EXPECT_FALSE(host.started()) << "the host must not run on a newer schema";
  EXPECT_NE(host.log().find("newer than this signet knows"), std::string::npos) << host.log();
  EXPECT_EQ(schema_version_of(dir, data), 999) << "nothing was written over it";
}

// tests/fixtures/signet-schema-19.sql: what a host of schema 19 wrote.
// SQLite only (the file is SQLite's dump); the unit tests Engines/NameSearch
// and Engines/ExpiryCounts upgrade PostgreSQL databases from 19 and 20.
TEST(UpgradeFromFixture, ADatabaseOfSchema19ComesUpWithItsDataWhole) {
  TempDir dir;
  const std::string data = dir.file("data");
  const auto loaded = run_command("mkdir -p " + data + " && sqlite3 " + data + "/signet.db < " +
                                  std::string(SIGNET_TEST_SOURCE_DIR) + "/tests/fixtures/signet-schema-19.sql 2>&1");
  ASSERT_EQ(loaded.status, 0) << loaded.output;
  const SignetRun dry = run_signet(dir, "migrate --dry-run --data-dir " + data);
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.out.find("schema version 19;"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  20  "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  21  "), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("  22  "), std::string::npos) << dry.out;

  {
    SignetProcess host({"serve", "--dev", "--data-dir", data, "--listen", "127.0.0.1:0"}, dir.file("serve.log"));
    ASSERT_TRUE(host.started()) << host.log();
    const std::string token = "sgt_N6tA3amKghlGB-3U80G_fq_9ezuj3ueCaPC1cZAvm9A";  // the fixture's
    auto get = [&](const std::string& path) {
      auto r = http("GET", host.url() + path, "", token, data + "/ca.pem");
      EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : r.error().message);
      return r ? json_of(r.value()) : nlohmann::json();
    };
    auto names = [&](const std::string& query) {
      std::vector<std::string> out;
      for (const auto& c : get("/v1/certificates?limit=100&" + query).value("items", nlohmann::json::array()))
        out.push_back(c.value("common_name", ""));
      return out;
    };
    EXPECT_EQ(names("").size(), 5u) << "four issued and one renewal";
    // Rows recorded before migration 22 keep their own copy of the chain.
    for (const auto& c : get("/v1/certificates?limit=100").value("items", nlohmann::json::array())) {
      const auto detail = get("/v1/certificates/" + c.value("id", ""));
      const auto chain = detail.value("chain", nlohmann::json::array());
      ASSERT_FALSE(chain.empty()) << detail.dump();
      EXPECT_NE(chain.front().get<std::string>().find("BEGIN CERTIFICATE"), std::string::npos);
    }
    // Names written before the upgrade are found by part (a handful of rows:
    // the row-by-row way; Engines/NameSearch covers the index migration 20 built).
    EXPECT_EQ(names("text=www.gamma"), std::vector<std::string>{"gamma.upgrade.test"});
    EXPECT_EQ(names("status=revoked"), std::vector<std::string>{"alpha.upgrade.test"});
    EXPECT_EQ(names("status=superseded"), std::vector<std::string>{"beta.upgrade.test"});
    // Counts kept before the upgrade and those migration 21 made agree with the listing.
    const auto stats = get("/v1/stats").value("certificates", nlohmann::json::object());
    EXPECT_EQ(stats.value("total", -1), 5);
    EXPECT_EQ(stats.value("revoked", -1), 1);
    EXPECT_EQ(stats.value("superseded", -1), 1);
    EXPECT_EQ(stats.value("expiring_30d", -1) + stats.value("expired_not_replaced", -1),
              static_cast<long long>(names("status=active&renewal=not_renewed").size() + names("status=expired&renewal=not_renewed").size()))
        << stats.dump();
    EXPECT_EQ(host.stop(), 0);
  }
  EXPECT_EQ(run_signet(dir, "audit verify --data-dir " + data).status, 0) << "the audit chain spans the upgrade";
  const SignetRun after = run_signet(dir, "migrate --dry-run --data-dir " + data);
  EXPECT_NE(after.out.find("nothing to apply"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace signet::test
