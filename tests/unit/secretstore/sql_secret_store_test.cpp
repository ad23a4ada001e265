// The shared SQL secret store on a real SQLite file and on a real
// PostgreSQL server (store-local and store-postgres): versions,
// check-and-set, soft delete and destroy, context binding and master-key
// rotation.
#include <filesystem>

#include <gtest/gtest.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <crypto/random.hpp>
#include <secretstore/sql_secret_store.hpp>
#include <sql/postgres.hpp>

#include "postgres_server.hpp"

namespace signet::secretstore {
namespace {

namespace fs = std::filesystem;

class SqlSecretStoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("signet-secrets-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (GetParam() == Dialect::postgresql) {
      url_ = test::fresh_database_url(test::TestDatabase::postgresql, dir_.string());
      ASSERT_FALSE(url_.empty()) << test::shared_postgres_server().log();
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string db_path() const { return (dir_ / "secrets.db").string(); }
  // A connection to the store's database, as the store's own or as an attacker with the database.
  void open(soci::session& s) const {
    if (GetParam() == Dialect::postgresql) sql::open_postgres(s, url_);
    else s.open(*soci::factory_sqlite3(), "db=" + db_path() + " timeout=10");
  }

  std::unique_ptr<SqlSecretStore> open_with(std::string current, std::vector<std::string> previous = {}) {
    std::vector<std::unique_ptr<envelope::KeyEncryptionKey>> old;
    for (auto& k : previous) old.push_back(envelope::aes_kek(k));
    auto ring = std::make_shared<const envelope::KeyRing>(envelope::aes_kek(std::move(current)), std::move(old));
    auto pool = std::make_unique<soci::connection_pool>(2);
    for (std::size_t i = 0; i < 2; ++i) open(pool->at(i));
    auto store = SqlSecretStore::open(std::move(pool), GetParam(), std::move(ring));
    EXPECT_TRUE(store) << store.error().message;
    return std::move(store).value();
  }

  // Reads a column straight from the database, as an attacker with it would.
  std::string raw(const std::string& column, const std::string& path, int version) {
    soci::session s;
    open(s);
    std::string value;
    soci::indicator ind = soci::i_null;
    s << "SELECT " + column + " FROM secret_versions WHERE path = :p AND version = :v", soci::use(path),
        soci::use(version), soci::into(value, ind);
    return ind == soci::i_ok ? value : "<null>";
  }

  void set_raw(const std::string& column, const std::string& path, int version, const std::string& value) {
    soci::session s;
    open(s);
    s << "UPDATE secret_versions SET " + column + " = :x WHERE path = :p AND version = :v", soci::use(value),
        soci::use(path), soci::use(version);
  }

  std::string url_;
  fs::path dir_;
  std::string key1_ = crypto::random_bytes(32);
  std::string key2_ = crypto::random_bytes(32);
};

PutRequest put_of(std::string path, std::string data, std::optional<std::uint64_t> cas = std::nullopt) {
  PutRequest p;
  p.path = std::move(path);
  p.data = std::move(data);
  p.cas = cas;
  return p;
}

TEST_P(SqlSecretStoreTest, VersionsAndCheckAndSet) {
  auto store = open_with(key1_);
  ASSERT_EQ(store->put(put_of("t/a/key", "one", 0)).value(), 1u);
  EXPECT_EQ(store->put(put_of("t/a/key", "again", 0)).error().code, ErrorCode::conflict);
  EXPECT_EQ(store->put(put_of("t/a/key", "stale", 5)).error().code, ErrorCode::conflict);
  ASSERT_EQ(store->put(put_of("t/a/key", "two", 1)).value(), 2u);
  ASSERT_EQ(store->put(put_of("t/a/key", "three")).value(), 3u);
  EXPECT_EQ(store->get({"t/a/key", std::nullopt}).value().data, "three");
  EXPECT_EQ(store->get({"t/a/key", 1}).value().data, "one");
  EXPECT_EQ(store->get({"t/a/key", 9}).error().code, ErrorCode::not_found);
  EXPECT_EQ(store->get({"t/nothing", std::nullopt}).error().code, ErrorCode::not_found);
  // Nothing of the payload is readable in the file.
  EXPECT_EQ(raw("ciphertext", "t/a/key", 1).find("one"), std::string::npos);
}

TEST_P(SqlSecretStoreTest, SoftDeleteHidesDestroyErases) {
  auto store = open_with(key1_);
  ASSERT_TRUE(store->put(put_of("t/x", "v1")));
  ASSERT_TRUE(store->put(put_of("t/x", "v2")));
  ASSERT_TRUE(store->remove({"t/x", {}}));
  EXPECT_EQ(store->get({"t/x", std::nullopt}).error().code, ErrorCode::not_found);
  EXPECT_EQ(store->get({"t/x", 1}).value().data, "v1");
  EXPECT_NE(raw("ciphertext", "t/x", 2), "<null>");  // soft: still there
  ASSERT_TRUE(store->destroy({"t/x", {1, 2}}));
  EXPECT_EQ(store->get({"t/x", 1}).error().code, ErrorCode::not_found);
  EXPECT_EQ(raw("ciphertext", "t/x", 1), "<null>");
  EXPECT_EQ(raw("wrapped_key", "t/x", 2), "<null>");
  EXPECT_EQ(store->remove({"t/unknown", {}}).error().code, ErrorCode::not_found);
}

TEST_P(SqlSecretStoreTest, ListsLivePathsUnderAPrefixLiterally) {
  auto store = open_with(key1_);
  for (const char* p : {"t1/certs/a", "t1/certs/b", "t1/certsx", "t1_/certs/c", "t2/certs/d"})
    ASSERT_TRUE(store->put(put_of(p, "x")));
  ASSERT_TRUE(store->remove({"t1/certs/b", {}}));
  EXPECT_EQ(store->list("t1/certs/").value(), (std::vector<std::string>{"t1/certs/a"}));
  // "_" is a LIKE wildcard; here it must only match itself.
  EXPECT_EQ(store->list("t1_").value(), (std::vector<std::string>{"t1_/certs/c"}));
}

TEST_P(SqlSecretStoreTest, RefusesBadPaths) {
  auto store = open_with(key1_);
  for (const char* p : {"", "/abs", "a//b", "a/../b", "a/./b", "trailing/", "sp ace", "semi;colon"})
    EXPECT_EQ(store->put(put_of(p, "x")).error().code, ErrorCode::invalid_argument) << p;
}

TEST_P(SqlSecretStoreTest, CiphertextMovedOrAlteredDoesNotOpen) {
  auto store = open_with(key1_);
  ASSERT_TRUE(store->put(put_of("t/a", "secret-a")));
  ASSERT_TRUE(store->put(put_of("t/b", "secret-b")));
  // Copy a's sealed data key and payload over b's: same master key, other path.
  set_raw("wrapped_key", "t/b", 1, raw("wrapped_key", "t/a", 1));
  set_raw("ciphertext", "t/b", 1, raw("ciphertext", "t/a", 1));
  auto moved = store->get({"t/b", std::nullopt});
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().message.find("secret-a"), std::string::npos);
  EXPECT_EQ(store->get({"t/a", std::nullopt}).value().data, "secret-a");

  std::string cipher = raw("ciphertext", "t/a", 1);
  cipher[cipher.size() / 2] = cipher[cipher.size() / 2] == 'A' ? 'B' : 'A';
  set_raw("ciphertext", "t/a", 1, cipher);
  EXPECT_FALSE(store->get({"t/a", std::nullopt}));
}

TEST_P(SqlSecretStoreTest, RotationRewrapsDataKeysAndKeepsPayloads) {
  {
    auto store = open_with(key1_);
    for (int i = 0; i < 250; ++i) ASSERT_TRUE(store->put(put_of("t/k" + std::to_string(i), "payload" + std::to_string(i))));
  }
  const std::string payload_before = raw("ciphertext", "t/k7", 1);
  const std::string wrapped_before = raw("wrapped_key", "t/k7", 1);
  const std::string old_kek = raw("kek_id", "t/k7", 1);
  {
    auto store = open_with(key2_, {key1_});
    EXPECT_EQ(store->rewrap_all().value(), 250u);  // more than one batch
    EXPECT_EQ(store->rewrap_all().value(), 0u);
  }
  EXPECT_EQ(raw("ciphertext", "t/k7", 1), payload_before);
  EXPECT_NE(raw("wrapped_key", "t/k7", 1), wrapped_before);
  EXPECT_NE(raw("kek_id", "t/k7", 1), old_kek);
  // The old key can go: everything opens with the new one alone.
  auto store = open_with(key2_);
  EXPECT_EQ(store->get({"t/k7", std::nullopt}).value().data, "payload7");
  EXPECT_EQ(store->get({"t/k249", std::nullopt}).value().data, "payload249");
}

TEST_P(SqlSecretStoreTest, UnknownMasterKeyIsAConfigurationError) {
  { ASSERT_TRUE(open_with(key1_)->put(put_of("t/a", "x"))); }
  auto store = open_with(key2_);
  auto rewrapped = store->rewrap_all();
  ASSERT_FALSE(rewrapped);
  EXPECT_EQ(rewrapped.error().code, ErrorCode::invalid_config);
  EXPECT_EQ(store->get({"t/a", std::nullopt}).error().code, ErrorCode::invalid_config);
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlSecretStoreTest, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         [](const ::testing::TestParamInfo<Dialect>& info) {
                           return info.param == Dialect::sqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace signet::secretstore
