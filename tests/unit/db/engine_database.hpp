// A fresh database for each test, of the engine the test is instantiated
// with: a SQLite file in a directory of its own, or a new database on the
// suite's PostgreSQL server. Tests of db/ derive from it.
#pragma once

#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "db/database.hpp"
#include "postgres_server.hpp"

namespace signet::host::test_db {

class EngineDatabaseTest : public ::testing::TestWithParam<test::TestDatabase> {
 protected:
  // Opens it, migrated up to `up_to` (an older schema, for upgrade tests).
  void open_database(int up_to = std::numeric_limits<int>::max()) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("signet-" + std::string(info->test_suite_name()).substr(std::string(info->test_suite_name()).rfind('/') + 1) +
            "-" + std::to_string(::getpid()) + "-" + test::name_of(GetParam()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string url = test::fresh_database_url(GetParam(), dir_.string());
    ASSERT_FALSE(url.empty()) << test::shared_postgres_server().log();
    auto opened = Database::open(url, 2);
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(opened).value();
    const auto migrated = db_->migrate(up_to);
    ASSERT_TRUE(migrated) << migrated.error().message;
  }
  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
};

// INSTANTIATE_TEST_SUITE_P(Engines, Suite, ...) on both engines.
inline auto both_engines() { return ::testing::Values(test::TestDatabase::sqlite, test::TestDatabase::postgresql); }
inline std::string engine_name(const ::testing::TestParamInfo<test::TestDatabase>& info) { return test::name_of(info.param); }

}  // namespace signet::host::test_db
