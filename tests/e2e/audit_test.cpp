// The audit log's hash chain, checked by `signet audit verify` on a real
// database that the sqlite3 or psql CLI then tampers with.
#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "postgres_server.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class AuditChain : public ::testing::Test {
 protected:
  // One host run that leaves a few records behind, then stops.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    SignetProcess host(dev_serve_args(*dir_, dir_->file("dev")), dir_->file("dev.log"));
    ASSERT_TRUE(host.started()) << host.log();
    const std::string admin = trimmed(read_file(dir_->file("dev/admin-token")));
    const std::string ca = dir_->file("dev/ca.pem");
    std::string first;
    for (const char* name : {"a.test", "b.test", "c.test"}) {
      auto r = http("POST", host.url() + "/v1/certificates",
                    json{{"common_name", name}, {"key", {{"type", "ecdsa"}}}}.dump(), admin, ca);
      ASSERT_TRUE(r && r.value().status == 201) << (r ? r.value().body : r.error().message);
      if (first.empty()) first = json_of(r.value()).value("id", "");
    }
    auto revoked = http("POST", host.url() + "/v1/certificates/" + first + "/revoke",
                        json{{"reason", "superseded"}}.dump(), admin, ca);
    ASSERT_TRUE(revoked && revoked.value().status == 200);
    auto token = http("POST", host.url() + "/v1/tokens", json{{"roles", {"auditor"}}}.dump(), admin, ca);
    ASSERT_TRUE(token && token.value().status == 201);
    ASSERT_EQ(host.stop(), 0);
  }
  static void TearDownTestSuite() { delete dir_; }

  // A copy of the data directory and its database with `sql` applied by
  // the database's own CLI; the arguments that make `audit verify` read it.
  static std::string tampered(const std::string& name, const std::string& sql) {
    const std::string copy = dir_->file(name);
    const auto copied = run_command("cp -r " + dir_->file("dev") + " " + copy);
    EXPECT_EQ(copied.status, 0) << copied.output;
    if (!testing_postgres()) {
      const auto changed = run_command("sqlite3 " + copy + "/signet.db \"" + sql + "\"");
      EXPECT_EQ(changed.status, 0) << changed.output;
      return "--data-dir " + copy;
    }
    const std::string url = copy_database(*dir_, name);
    const auto changed = run_command(postgres_bin_dir() + "/psql -X -q -v ON_ERROR_STOP=1 '" + url + "' -c \"" + sql + "\" 2>&1");
    EXPECT_EQ(changed.status, 0) << changed.output;
    return "--data-dir " + copy + " --database " + url;
  }

  static TempDir* dir_;
};
TempDir* AuditChain::dir_ = nullptr;

TEST_F(AuditChain, AnUntouchedLogVerifies) {
  const SignetRun run = run_signet(*dir_, "audit verify --data-dir " + dir_->file("dev") + database_flag(*dir_));
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("audit log intact: 6 records"), std::string::npos) << run.out;
  // Every record of a caller carries who, how and from where; the first is
  // the host's own (the OCSP responder key it made at start).
  const auto rows = query_database(*dir_, dir_->file("dev/signet.db"), "SELECT action, auth, source FROM audit_log ORDER BY seq");
  EXPECT_EQ(rows.output, "ocsp.signer_create||\ncertificate.issue|token|127.0.0.1\ncertificate.issue|token|127.0.0.1\n"
                         "certificate.issue|token|127.0.0.1\ncertificate.revoke|token|127.0.0.1\n"
                         "token.create|token|127.0.0.1\n");
}

TEST_F(AuditChain, AModifiedRecordIsNamed) {
  const std::string copy = tampered("modified", "UPDATE audit_log SET outcome = 'failure' WHERE seq = 3");
  const SignetRun run = run_signet(*dir_, "audit verify " + copy);
  EXPECT_EQ(run.status, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("broken at record 3: its content does not match its hash"), std::string::npos) << run.out;
}

TEST_F(AuditChain, ADeletedRecordIsNamed) {
  const std::string copy = tampered("deleted", "DELETE FROM audit_log WHERE seq = 2");
  const SignetRun run = run_signet(*dir_, "audit verify " + copy);
  EXPECT_EQ(run.status, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("broken at record 3: records 2 to 2 are missing"), std::string::npos) << run.out;

  // Closing the gap by renumbering does not hide it.
  const std::string renumbered =
      tampered("renumbered", "DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2");
  const SignetRun again = run_signet(*dir_, "audit verify " + renumbered);
  EXPECT_EQ(again.status, 1) << again.out << again.err;
  EXPECT_NE(again.out.find("broken at record 2: it does not follow the record before it"), std::string::npos) << again.out;
}

TEST_F(AuditChain, ReorderedRecordsAreNamed) {
  const std::string copy = tampered("reordered",
      "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; "
      "UPDATE audit_log SET seq = 3 WHERE seq = -1");
  const SignetRun run = run_signet(*dir_, "audit verify " + copy);
  EXPECT_EQ(run.status, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("broken at record 2"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace signet::test

namespace signet::test {
namespace {

// With the audit log unwritable (a trigger refuses every insert), actions
// fail instead of happening unrecorded.
TEST(AuditRequired, NoActionHappensWhoseRecordCannotBeWritten) {
  TempDir dir;
  const std::vector<std::string> serve = dev_serve_args(dir, dir.file("dev"));
  { SignetProcess first(serve, dir.file("first.log")); ASSERT_TRUE(first.started()) << first.log(); }
  const auto broken = set_audit_log_down(dir, dir.file("dev/signet.db"), true);
  ASSERT_EQ(broken.status, 0) << broken.output;
  SignetProcess host(serve, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  std::string admin = read_file(dir.file("dev/admin-token"));
  admin.pop_back();
  const std::string ca = dir.file("dev/ca.pem");

  auto issued = http("POST", host.url() + "/v1/certificates",
                     json{{"common_name", "unrecorded.test"}, {"key", {{"type", "ecdsa"}}}}.dump(), admin, ca);
  ASSERT_TRUE(issued);
  EXPECT_EQ(issued.value().status, 503) << issued.value().body;
  EXPECT_EQ(issued.value().body.find("BEGIN CERTIFICATE"), std::string::npos);
  auto token = http("POST", host.url() + "/v1/tokens", json{{"roles", {"auditor"}}}.dump(), admin, ca);
  ASSERT_TRUE(token);
  EXPECT_EQ(token.value().status, 503) << token.value().body;
  ASSERT_EQ(host.stop(), 0);
  const auto counts = query_database(dir, dir.file("dev/signet.db"),
                                     "SELECT (SELECT COUNT(*) FROM certificates) || ' ' || (SELECT COUNT(*) FROM tokens)");
  EXPECT_EQ(counts.output, "0 1\n");  // no certificate, only the admin token
}

}  // namespace
}  // namespace signet::test

namespace signet::test {
namespace {

// audit.export_file: every record once, in order, across restarts and a torn last line.
TEST(AuditExport, WritesEachRecordOnceAsAJsonLineAndResumes) {
  TempDir dir;
  const std::string out = dir.file("audit.jsonl");
  const std::string file = dir.write("host.yaml", host_config(dir, "audit: {export_file: " + out + ", export_interval: 50ms}\n"));
  const std::string admin = bootstrap_token(dir, file);
  ASSERT_FALSE(admin.empty());
  auto make_tokens = [&](int n) {
    SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
    ASSERT_TRUE(host.started()) << host.log();
    for (int i = 0; i < n; ++i)
      ASSERT_EQ(http("POST", host.url() + "/v1/tokens", json{{"roles", {"auditor"}}}.dump(), admin, dir.file("data/ca.pem")).value().status, 201);
    ASSERT_EQ(host.stop(), 0);
  };
  make_tokens(3);
  auto lines = lines_of(read_file(out));
  ASSERT_EQ(lines.size(), 3u);
  // A crash in the middle of a line leaves a torn line; the next start drops it.
  run_command("printf '{\"seq\": 9' >> " + out);
  make_tokens(2);
  lines = lines_of(read_file(out));
  ASSERT_EQ(lines.size(), 5u) << read_file(out);
  std::string prev(64, '0');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const json record = json::parse(lines[i]);
    EXPECT_EQ(record["seq"], static_cast<int>(i + 1));
    EXPECT_EQ(record["action"], "token.create");
    EXPECT_EQ(record["prev_hash"], prev);
    prev = record["hash"].get<std::string>();
  }
  EXPECT_EQ(std::filesystem::status(out).permissions(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // The exported head is the database's head.
  const SignetRun verified = run_signet(dir, "audit verify --config " + file);
  EXPECT_NE(verified.out.find("hash " + prev), std::string::npos) << verified.out;
}

}  // namespace
}  // namespace signet::test

namespace signet::test {
namespace {

using std::chrono::milliseconds;

// Refusals that never reach a handler are in the log too: a request the
// server cannot read, one that is too large, a path no route serves.
TEST(AuditRefusals, RequestsRefusedBeforeAnyRouteAreRecorded) {
  TempDir dir;
  std::string config = host_config(dir, "", false);
  config.replace(config.find("max_body: 64KiB"), 15, "max_body: 1KiB");
  const std::string file = dir.write("host.yaml", config);
  SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();

  const auto garbage = raw_exchange(host.port(), "NOT HTTP AT ALL\r\n\r\n", milliseconds(5000));
  EXPECT_EQ(garbage.received.rfind("HTTP/1.1 400", 0), 0u) << garbage.received;
  const auto large = raw_exchange(host.port(),
                                  "POST /v1/certificates HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                                      std::string(5000, 'x'),
                                  milliseconds(5000));
  EXPECT_EQ(large.received.rfind("HTTP/1.1 413", 0), 0u) << large.received;
  const auto unrouted = http("GET", host.url() + "/v1/admin");
  ASSERT_TRUE(unrouted);
  EXPECT_EQ(unrouted.value().status, 404);
  ASSERT_EQ(host.stop(), 0);

  const auto rows = query_database(dir, dir.file("data/signet.db"),
                                   testing_postgres()
                                       ? "SELECT concat_ws(' ', action, outcome, source, detail::json->>'status', "
                                         "detail::json->>'code', coalesce(detail::json->>'path', '')) FROM audit_log ORDER BY seq"
                                       : "SELECT action || ' ' || outcome || ' ' || source || ' ' || "
                                         "json_extract(detail, '$.status') || ' ' || json_extract(detail, '$.code') || ' ' || "
                                         "coalesce(json_extract(detail, '$.path'), '') FROM audit_log ORDER BY seq");
  EXPECT_EQ(rows.output,
            "http:unreadable refused 127.0.0.1 400 bad_request \n"
            "http:unreadable refused 127.0.0.1 413 body_too_large /v1/certificates\n"
            "http:route refused 127.0.0.1 404 not_found /v1/admin\n");
  EXPECT_EQ(run_signet(dir, "audit verify --config " + file).status, 0);
}

}  // namespace
}  // namespace signet::test
