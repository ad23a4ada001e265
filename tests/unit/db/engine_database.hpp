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

#include "db/certificates.hpp"
#include "db/database.hpp"
#include "db/prepared.hpp"
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

// A certificate as releases before migration 22 recorded it (the chain in
// the row, no chain_id), for tests that write rows into an older schema and
// then upgrade it; insert_certificate writes the current schema's rows.
inline void insert_certificate_before_22(soci::session& s, const CertificateColumns& k) {
  const CertificateRow& c = k.row;
  execute(s,
          "INSERT INTO certificates (id, tenant_id, request_id, ca, serial, common_name, sans, profile, status, not_before, "
          "not_after, certificate_pem, chain_pem, metadata, created_at, renews, lineage, updated_at) VALUES (:id, :t, :r, "
          ":ca, :serial, :cn, :sans, :profile, :status, :nb, :na, :pem, :chain, :metadata, :created, :renews, :lineage, "
          ":updated)",
          {c.id, c.tenant_id, c.request_id, c.ca, c.serial, c.common_name, k.sans, c.profile, c.status, k.not_before,
           k.not_after, c.certificate_pem, c.chain_pem, k.metadata, k.created, SqlParam::text_or_null(c.renews),
           c.lineage.empty() ? c.id : c.lineage, k.created});
  for (const auto& name : k.names)
    execute(s, "INSERT INTO certificate_names (tenant_id, name, certificate_id) VALUES (:t, :n, :c) ON CONFLICT DO NOTHING",
            {c.tenant_id, name, c.id});
}

// INSTANTIATE_TEST_SUITE_P(Engines, Suite, ...) on both engines.
inline auto both_engines() { return ::testing::Values(test::TestDatabase::sqlite, test::TestDatabase::postgresql); }
inline std::string engine_name(const ::testing::TestParamInfo<test::TestDatabase>& info) { return test::name_of(info.param); }

}  // namespace signet::host::test_db
