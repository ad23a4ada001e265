// The audit hash chain on a real SQLite file and a real PostgreSQL server: appends chain, records
// written before the chain existed are chained by the migration, and the
// verifier names the first broken record.
#include <gtest/gtest.h>

#include "db/audit.hpp"
#include "db/audit_chain.hpp"
#include "engine_database.hpp"

namespace signet::host {
namespace {

class AuditChainTest : public test_db::EngineDatabaseTest {
 protected:
  void SetUp() override { open_database(); }
  AuditRecord record(const std::string& action) {
    return {"tnt_1", "tok_1", "token", "192.0.2.1", action, "crt_1", "success", "", {{"n", action.size()}}};
  }
};

TEST_P(AuditChainTest, AppendsChainAndVerify) {
  for (const char* action : {"a.one", "b.two", "c.three"}) ASSERT_TRUE(append_audit(*db_, record(action)));
  auto report = verify_audit_chain(*db_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report.value().broken_seq) << report.value().problem;
  EXPECT_EQ(report.value().records, 3);
  EXPECT_EQ(report.value().head_seq, 3);
  EXPECT_EQ(report.value().head_hash.size(), 64u);
}

TEST_P(AuditChainTest, RecordsFromBeforeTheChainAreChainedInSeqOrder) {
  ASSERT_TRUE(db_->write([](soci::session& s) {
    for (int seq : {2, 1, 3})  // inserted out of order, as nothing forbade
      s << "INSERT INTO audit_log (seq, tenant_id, time, principal, action, object, outcome, request_id, detail) "
           "VALUES (:seq, 'tnt_1', 1000, 'tok_1', 'certificate.issue', 'crt_x', 'success', 'req_x', '{}')",
          soci::use(seq);
  }));
  auto before = verify_audit_chain(*db_);
  ASSERT_TRUE(before);
  EXPECT_EQ(before.value().broken_seq, 1);  // no hashes yet
  ASSERT_TRUE(db_->write([](soci::session& s) { chain_existing_audit(s); }));
  ASSERT_TRUE(append_audit(*db_, record("after.chain")));
  auto after = verify_audit_chain(*db_);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after.value().broken_seq) << after.value().problem;
  EXPECT_EQ(after.value().records, 4);
}

// No database here: the hash is a function of the record alone.
TEST(AuditHash, CoversEveryColumn) {
  StoredAudit r{7, "tnt_1", 1000, "tok_1", "token", "192.0.2.1", "x.y", "crt_1", "success", "req_1", "{}",
                std::string(kAuditGenesis), ""};
  const std::string base = audit_record_hash(r);
  auto differs = [&](auto change) {
    StoredAudit copy = r;
    change(copy);
    return audit_record_hash(copy) != base;
  };
  EXPECT_TRUE(differs([](StoredAudit& c) { c.seq = 8; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.tenant_id = "tnt_2"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.time = 1001; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.principal = "tok_2"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.auth = "mtls"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.source = "192.0.2.2"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.action = "x.z"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.object = "crt_2"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.outcome = "denied"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.request_id = "req_2"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.detail = "{ }"; }));
  EXPECT_TRUE(differs([](StoredAudit& c) { c.prev_hash[0] = '1'; }));
  EXPECT_FALSE(differs([](StoredAudit& c) { c.hash = "anything"; }));
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditChainTest, test_db::both_engines(), test_db::engine_name);

}  // namespace
}  // namespace signet::host
