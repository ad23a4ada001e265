// Key type and size in the inventory (migration 16), on a real SQLite file
// and a real PostgreSQL server: certificates made by the openssl CLI are
// recorded without them, as rows from before the migration were, and the
// backfill reads each one's key out of its PEM; what OpenSSL calls a
// DSA key stays unknown instead of being guessed.
#include <gtest/gtest.h>

#include <pkix/key_kind.hpp>

#include "db/certificates.hpp"
#include "db/tenants.hpp"
#include "engine_database.hpp"
#include "signet_process.hpp"

namespace signet::host {
namespace {

using Key = std::pair<std::string, int>;

class KeyKindBackfill : public test_db::EngineDatabaseTest {
 protected:
  void SetUp() override {
    open_database();
    auto tenant = ensure_tenant(*db_, "acme", "Acme");
    ASSERT_TRUE(tenant) << tenant.error().message;
    tenant_id_ = tenant->id;
  }

  // A self-signed certificate for a key the openssl CLI makes.
  std::string certificate(const std::string& name, const std::string& newkey) {
    const std::string base = (dir_ / name).string();
    const auto made = test::run_command("openssl req -x509 -newkey " + newkey + " -nodes -keyout " + base + ".key -out " + base +
                                        ".pem -days 30 -subj /CN=" + name + " 2>&1");
    EXPECT_EQ(made.status, 0) << made.output;
    return test::read_file(base + ".pem");
  }

  void record(const std::string& id, const std::string& pem) {
    CertificateRow row;
    row.id = id;
    row.tenant_id = tenant_id_;
    row.request_id = "req_" + id;
    row.ca = "internal";
    row.serial = id;
    row.common_name = id;
    row.profile = "default";
    row.status = "active";
    row.certificate_pem = pem;
    row.created_at = row.not_before = Clock::now();
    row.not_after = row.created_at + std::chrono::hours(24);
    const CertificateColumns columns(row);
    ASSERT_TRUE(db_->write([&](soci::session& s) { insert_certificate(s, columns); }));
  }

  std::pair<std::string, int> key_of(const std::string& id) {
    auto found = find_certificate(*db_, tenant_id_, id);
    EXPECT_TRUE(found && found.value());
    if (!found || !found.value()) return {};
    return {found.value()->key_type, found.value()->key_bits};
  }

  std::string tenant_id_;
};

TEST_P(KeyKindBackfill, ReadsEachKeyFromItsCertificate) {
  record("rsa", certificate("rsa", "rsa:2048"));
  record("rsa3k", certificate("rsa3k", "rsa:3072"));
  record("p256", certificate("p256", "ec -pkeyopt ec_paramgen_curve:P-256"));
  record("p521", certificate("p521", "ec -pkeyopt ec_paramgen_curve:P-521"));
  record("ed448", certificate("ed448", "ed448"));
  const std::string params = (dir_ / "dsa.params").string();
  ASSERT_EQ(test::run_command("openssl dsaparam -out " + params + " 2048 2>&1").status, 0);
  record("dsa", certificate("dsa", "dsa:" + params));
  record("garbage", "not a certificate");
  EXPECT_EQ(key_of("rsa"), Key("", 0)) << "recorded without a key type, as before migration 16";

  ASSERT_TRUE(db_->write([](soci::session& s) { backfill_key_kinds(s); }));
  EXPECT_EQ(key_of("rsa"), Key("rsa", 2048));
  EXPECT_EQ(key_of("rsa3k"), Key("rsa", 3072));
  EXPECT_EQ(key_of("p256"), Key("ecdsa", 256));
  EXPECT_EQ(key_of("p521"), Key("ecdsa", 521));
  EXPECT_EQ(key_of("ed448"), Key("ed448", 456));
  EXPECT_EQ(key_of("dsa"), Key("", 0));
  EXPECT_EQ(key_of("garbage"), Key("", 0));
}

TEST(KeyKind, MalformedSpkiIsUnknown) {
  EXPECT_EQ(pkix::key_kind_of_spki("").type, "");
  EXPECT_EQ(pkix::key_kind_of_spki(std::string("\x30\x05\x30\x03\x06\x01", 6)).type, "");
  // An RSA SPKI whose BIT STRING is cut short: known type, unknown size.
  const std::string cut("\x30\x12\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00\x03\x01\x00", 20);
  EXPECT_EQ(pkix::key_kind_of_spki(cut).type, "rsa");
  EXPECT_EQ(pkix::key_kind_of_spki(cut).bits, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, KeyKindBackfill, test_db::both_engines(), test_db::engine_name);

}  // namespace
}  // namespace signet::host
