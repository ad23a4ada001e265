// Prepared statements kept per connection (db/prepared.hpp) on a real
// SQLite file and a real PostgreSQL server: reused, rebound, NULLs; and,
// on SQLite, never left holding a snapshot.
#include <filesystem>

#include <gtest/gtest.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <sql/postgres.hpp>

#include "db/prepared.hpp"
#include "postgres_server.hpp"

namespace signet::host {
namespace {

namespace fs = std::filesystem;

// Two connections to one fresh database with a table `t`.
class PreparedFixture {
 protected:
  void open_both(test::TestDatabase engine) {
    dir_ = fs::temp_directory_path() / ("signet-prepared-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    url_ = test::fresh_database_url(engine, dir_.string());
    ASSERT_FALSE(url_.empty()) << test::shared_postgres_server().log();
    open(writer_);
    open(other_);
    if (engine == test::TestDatabase::sqlite) writer_ << "PRAGMA journal_mode=WAL";
    writer_ << "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n BIGINT)";
  }
  void close_both() {
    writer_.close();
    other_.close();
    fs::remove_all(dir_);
  }
  void open(soci::session& s) const {
    const std::string sqlite = "sqlite://";
    if (url_.rfind(sqlite, 0) == 0) s.open(*soci::factory_sqlite3(), "db=" + url_.substr(sqlite.size()) + " timeout=1");
    else sql::open_postgres(s, url_);
  }

  fs::path dir_;
  std::string url_;
  soci::session writer_, other_;
};

class PreparedTest : public ::testing::TestWithParam<test::TestDatabase>, protected PreparedFixture {
 protected:
  void SetUp() override { open_both(GetParam()); }
  void TearDown() override { close_both(); }
};

class PreparedOnSqliteTest : public ::testing::Test, protected PreparedFixture {
 protected:
  void SetUp() override { open_both(test::TestDatabase::sqlite); }
  void TearDown() override { close_both(); }
};

TEST_P(PreparedTest, RunsWithAndWithoutACacheAndRebindsEachTime) {
  const std::string insert = "INSERT INTO t (id, name, n) VALUES (:id, :name, :n)";
  EXPECT_EQ(execute(writer_, insert, {1, "one", 10LL}), 1);  // no cache: prepared for this call
  StatementCache cache(writer_);
  const StatementCache::Active active(cache);
  EXPECT_EQ(execute(writer_, insert, {2, "two", 20LL}), 1);
  EXPECT_EQ(execute(writer_, insert, {3, SqlParam::null_text(), SqlParam::null_number()}), 1);
  EXPECT_EQ(execute(writer_, "UPDATE t SET n = n + 1 WHERE n IS NOT NULL", {}), 2);
  EXPECT_EQ(query_number(writer_, "SELECT SUM(n) FROM t", {}), 32);
  EXPECT_EQ(query_number(writer_, "SELECT n FROM t WHERE id = :id", {3}), std::nullopt);  // NULL
  EXPECT_EQ(query_number(writer_, "SELECT n FROM t WHERE id = :id", {9}), std::nullopt);  // no row
  EXPECT_EQ(query_number(writer_, "SELECT COUNT(*) FROM t WHERE name = :name", {"two"}), 1);
  EXPECT_EQ(query_number(writer_, "SELECT COUNT(*) FROM t WHERE name = :name", {"one"}), 1);  // rebound
  std::string name;
  other_ << "SELECT name FROM t WHERE id = 2", soci::into(name);
  EXPECT_EQ(name, "two");
}

TEST_P(PreparedTest, AFailedStatementIsPreparedAgainAndTheConnectionStaysUsable) {
  StatementCache cache(writer_);
  const StatementCache::Active active(cache);
  const std::string insert = "INSERT INTO t (id, name) VALUES (:id, :name)";
  execute(writer_, insert, {1, "one"});
  EXPECT_THROW(execute(writer_, insert, {1, "again"}), soci::soci_error);  // primary key
  EXPECT_EQ(execute(writer_, insert, {2, "two"}), 1);
  EXPECT_EQ(query_number(writer_, "SELECT COUNT(*) FROM t", {}), 2);
}

// A SELECT stopped after its first row would keep the connection's read
// snapshot; once another connection writes, the first could never write again.
TEST_F(PreparedOnSqliteTest, AQueryOfManyRowsLeavesNoSnapshotBehind) {
  StatementCache cache(writer_);
  const StatementCache::Active active(cache);
  for (int i = 1; i <= 5; ++i) execute(writer_, "INSERT INTO t (id, name) VALUES (:id, :name)", {i, "x"});
  writer_ << "BEGIN IMMEDIATE";
  EXPECT_EQ(query_number(writer_, "SELECT id FROM t ORDER BY id", {}), 1);
  writer_ << "COMMIT";
  other_ << "BEGIN IMMEDIATE";
  other_ << "INSERT INTO t (id, name) VALUES (6, 'from other')";
  other_ << "COMMIT";
  writer_ << "BEGIN IMMEDIATE";
  EXPECT_EQ(execute(writer_, "INSERT INTO t (id, name) VALUES (:id, :name)", {7, "y"}), 1);
  writer_ << "COMMIT";
  EXPECT_EQ(query_number(writer_, "SELECT COUNT(*) FROM t", {}), 7);
}

INSTANTIATE_TEST_SUITE_P(Engines, PreparedTest,
                         ::testing::Values(test::TestDatabase::sqlite, test::TestDatabase::postgresql),
                         [](const auto& info) { return test::name_of(info.param); });

}  // namespace
}  // namespace signet::host
