// The typed state of a request (db/request_state.hpp) against states as
// the JSON-object versions of the host saved them: each loads into its
// fields, writes back as it came, keeps keys it does not know, and a row
// saved in that format loads through the repository.
#include <filesystem>

#include <gtest/gtest.h>

#include "db/prepared.hpp"
#include "db/requests.hpp"
#include "db/tenants.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// An issue request between its sign and record steps, with a key the host
// made, exactly as an earlier version wrote it.
const char* kSignedIssue = R"({
  "certificate_id": "crt_0123456789abcdef0123456789", "policy_epoch": "epoch_77",
  "caller": {"auth": "token", "source": "127.0.0.1"},
  "csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
  "key_store": "local", "key_path": "tenants/ten_1/certificates/crt_0123456789abcdef0123456789/bundle",
  "crl_shard": 3, "certificate_pem": "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n",
  "chain": ["-----BEGIN CERTIFICATE-----\nISSUING\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n"],
  "ca": "internal"})";

// A finished revocation whose second certificate's CA refused for good.
const char* kFinishedRevoke = R"({
  "caller": {"auth": "scheduler", "source": "lifecycle", "principal": "system:lifecycle"},
  "revoked_at_ca": ["crt_a"], "not_revoked": [{"id": "crt_b", "error": {"code": "unsupported",
  "message": "CA remote cannot revoke certificates"}}],
  "serial": "0a1b2c", "ca": "internal", "revoked": ["crt_a"], "reason": "key_compromise"})";

TEST(RequestState, ReadsEveryFieldOfAnIssueRequest) {
  const RequestState s = request_state_from(json::parse(kSignedIssue));
  EXPECT_EQ(s.certificate_id, "crt_0123456789abcdef0123456789");
  EXPECT_EQ(s.policy_epoch, "epoch_77");
  EXPECT_EQ(s.caller.auth, "token");
  EXPECT_EQ(s.caller.source, "127.0.0.1");
  EXPECT_EQ(s.caller.principal, "");
  EXPECT_NE(s.csr.find("CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_EQ(s.key_store, "local");
  EXPECT_EQ(s.key_path, "tenants/ten_1/certificates/crt_0123456789abcdef0123456789/bundle");
  EXPECT_EQ(s.crl_shard, 3);
  EXPECT_NE(s.certificate_pem.find("LEAF"), std::string::npos);
  ASSERT_EQ(s.chain.size(), 2u);
  EXPECT_NE(s.chain[1].find("ROOT"), std::string::npos);
  EXPECT_EQ(s.ca, "internal");
  EXPECT_TRUE(s.unknown.empty());
}

TEST(RequestState, ReadsEveryFieldOfARevocation) {
  const RequestState s = request_state_from(json::parse(kFinishedRevoke));
  EXPECT_EQ(s.caller.principal, "system:lifecycle");
  EXPECT_EQ(s.revoked_at_ca, std::vector<std::string>{"crt_a"});
  ASSERT_EQ(s.not_revoked.size(), 1u);
  EXPECT_EQ(s.not_revoked[0].id, "crt_b");
  EXPECT_EQ(s.not_revoked[0].error_code, "unsupported");
  EXPECT_EQ(s.not_revoked[0].error_message, "CA remote cannot revoke certificates");
  EXPECT_EQ(s.revoked, std::vector<std::string>{"crt_a"});
  EXPECT_EQ(s.reason, "key_compromise");
  EXPECT_EQ(s.serial, "0a1b2c");
  // The API answers not_revoked in the shape it always had.
  EXPECT_EQ(to_json(s.not_revoked), json::parse(kFinishedRevoke)["not_revoked"]);
}

TEST(RequestState, WritesBackWhatItReadKeyForKey) {
  for (const char* text : {kSignedIssue, kFinishedRevoke}) {
    const json saved = json::parse(text);
    EXPECT_EQ(to_json(request_state_from(saved)), saved) << text;
  }
}

TEST(RequestState, KeepsKeysItDoesNotKnow) {
  // The first versions' store step, and whatever a newer host adds.
  const json saved = {{"store", "local"}, {"store_path", "a/b"}, {"from_a_newer_host", {{"x", 1}}}, {"ca", "internal"}};
  const RequestState s = request_state_from(saved);
  EXPECT_EQ(s.ca, "internal");
  EXPECT_EQ(s.unknown.size(), 3u);
  EXPECT_EQ(to_json(s), saved);
}

TEST(RequestState, StatesOfEarlierVersionsLoad) {
  // Before policy_epoch, caller and not_revoked existed; a finished issue
  // row that still held its PEMs; a revocation that had not started.
  const RequestState old_issue = request_state_from(
      json::parse(R"({"certificate_id": "crt_1", "certificate_pem": "PEM", "chain": ["I"], "ca": "internal",
                      "serial": "01", "not_before": "2026-01-01T00:00:00Z", "not_after": "2026-02-01T00:00:00Z"})"));
  EXPECT_EQ(old_issue.policy_epoch, "");  // the policy is checked again, as it was then
  EXPECT_EQ(old_issue.caller.auth, "");
  EXPECT_EQ(old_issue.not_after, "2026-02-01T00:00:00Z");
  const RequestState unstarted = request_state_from(json::parse(R"({"revoked_at_ca": [], "not_revoked": []})"));
  EXPECT_TRUE(unstarted.revoked_at_ca.empty());
  EXPECT_TRUE(unstarted.not_revoked.empty());
  EXPECT_EQ(to_json(unstarted), json::object());  // empty lists are not written: every reader defaults them
}

TEST(RequestState, AValueOfTheWrongTypeReadsAsAbsentAndNothingThrows) {
  const json odd = {{"certificate_id", 5},         {"caller", "token"}, {"crl_shard", "3"},
                    {"chain", {"ok", 7, nullptr}}, {"not_revoked", {1, {{"id", "crt_x"}, {"error", "no"}}}}};
  RequestState s;
  ASSERT_NO_THROW(s = request_state_from(odd));
  EXPECT_EQ(s.certificate_id, "");
  EXPECT_EQ(s.caller.auth, "");
  EXPECT_FALSE(s.crl_shard.has_value());
  EXPECT_EQ(s.chain, std::vector<std::string>{"ok"});
  ASSERT_EQ(s.not_revoked.size(), 1u);
  EXPECT_EQ(s.not_revoked[0].id, "crt_x");
  for (const json& not_an_object : {json(nullptr), json::array(), json("text"), json::parse("{", nullptr, false)})
    EXPECT_NO_THROW((void)request_state_from(not_an_object));
}

// Earlier hosts read every key with a default, which throws on null, and
// test whether key_path is present to decide who holds the key.
TEST(RequestState, WritesNoNullAndNoEmptyKeyPath) {
  RequestState s;
  s.certificate_id = "crt_1";
  s.crl_shard = 0;  // shard 0 is a shard
  const json written = to_json(s);
  EXPECT_EQ(written, (json{{"certificate_id", "crt_1"}, {"crl_shard", 0}}));
  EXPECT_FALSE(written.contains("key_path"));
  EXPECT_FALSE(written.contains("caller"));
}

// A row saved by the JSON-object version of the repository, read through
// today's: the typed fields are there, and a save writes the same state.
TEST(RequestState, ARowSavedInTheEarlierFormatLoadsAndSavesUnchanged) {
  const auto dir = std::filesystem::temp_directory_path() / new_id("request-state-test");
  std::filesystem::create_directories(dir);
  auto opened = Database::open("sqlite://" + (dir / "signet.db").string(), 2);
  ASSERT_TRUE(opened) << opened.error().message;
  auto db = std::move(opened).value();
  ASSERT_TRUE(db->migrate());
  const std::string tenant = ensure_tenant(*db, "default", "Default").value().id;
  const std::string id = new_id("req");
  const std::string state = json::parse(kSignedIssue).dump();
  ASSERT_TRUE(db->write([&](soci::session& s) {
    execute(s,
            "INSERT INTO requests (id, tenant_id, operation, status, step, step_index, attempts, next_attempt_at, "
            "lease_owner, lease_until, principal, input, state, created_at, updated_at) VALUES (:id, :t, 'issue', "
            "'running', 'record', 3, 0, 1, 'host.1', 2, 'tok_1', '{}', :state, 1, 1)",
            {id, tenant, state});
  }));
  auto loaded = RequestRepo(*db).load(id);
  ASSERT_TRUE(loaded && loaded.value());
  RequestRecord q = *loaded.value();
  EXPECT_EQ(q.state.key_path, "tenants/ten_1/certificates/crt_0123456789abcdef0123456789/bundle");
  EXPECT_EQ(q.state.crl_shard, 3);
  q.lease_token = "host.1";
  ASSERT_TRUE(RequestRepo(*db).save(q, Clock::now()).value());
  std::string after;
  {
    Connection connection(*db);
    *connection << "SELECT state FROM requests WHERE id = :id", soci::use(id), soci::into(after);
  }
  EXPECT_EQ(json::parse(after), json::parse(kSignedIssue));
  db.reset();
  std::filesystem::remove_all(dir);
}

// A row whose input is not JSON (never written by the host) neither stops
// the claim of the others nor runs: it fails, with why.
TEST(RequestState, AnUnreadableInputFailsItsRequestAndTheOthersAreClaimed) {
  const auto dir = std::filesystem::temp_directory_path() / new_id("request-input-test");
  std::filesystem::create_directories(dir);
  auto db = std::move(Database::open("sqlite://" + (dir / "signet.db").string(), 2)).value();
  ASSERT_TRUE(db->migrate());
  const std::string tenant = ensure_tenant(*db, "default", "Default").value().id;
  const std::string broken = new_id("req"), fine = new_id("req");
  for (const auto& [id, input] : {std::pair{broken, std::string("{not json")}, std::pair{fine, std::string("{}")}})
    ASSERT_TRUE(db->write([&, id = id, input = input](soci::session& s) {
      execute(s,
              "INSERT INTO requests (id, tenant_id, operation, status, step, step_index, attempts, next_attempt_at, "
              "principal, input, state, created_at, updated_at) VALUES (:id, :t, 'issue', 'pending', 'policy', 0, 0, "
              "1, 'tok_1', :input, '{}', 1, 1)",
              {id, tenant, input});
    }));
  RequestRepo repo(*db);
  auto claimed = repo.claim_due("host", Clock::now(), Clock::now() + std::chrono::seconds(30), 10);
  ASSERT_TRUE(claimed) << claimed.error().message;
  ASSERT_EQ(claimed.value().size(), 1u);
  EXPECT_EQ(claimed.value()[0].id, fine);
  const RequestRecord failed = *repo.load(broken).value();
  EXPECT_EQ(failed.status, RequestStatus::failed);
  EXPECT_EQ(failed.error_code, "internal");
  EXPECT_EQ(failed.error_message, "the stored input of this request is not JSON");
  db.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace signet::host
