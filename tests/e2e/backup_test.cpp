// signet backup beside a host under issuance load, and signet restore into
// a new data directory where a host starts: every certificate answered 201
// before the backup began is there, the audit chain verifies, OCSP answers
// for them (openssl ocsp), a secret decrypts. A damaged or partial backup
// is refused and leaves no directory behind. SQLite only: on PostgreSQL the
// database is pg_dump's (docs/operations.md), and the backup holds the files.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

std::string signet(const std::string& args) { return std::string(SIGNET_TEST_BINARY) + " " + args + " 2>&1"; }

class BackupTest : public ::testing::Test {
 protected:
  // Keeps issuing until told to stop; the ids of the 201s, in order.
  void start_load() {
    load_ = std::thread([this] {
      for (int i = 0; !stop_ && i < 2000; ++i) {
        const std::string name = "load-" + std::to_string(i) + ".test";
        const json body{{"common_name", name}, {"sans", {{"dns", {name}}}}, {"key", {{"type", "ecdsa"}}}};
        auto r = http("POST", host_.url() + "/v1/certificates", body.dump(), host_.admin_token(), host_.ca_file());
        if (r && r->status == 201) {
          const std::lock_guard lock(mutex_);
          answered_.push_back(json_of(*r)["certificate_id"].get<std::string>());
        }
      }
    });
  }
  std::vector<std::string> answered() {
    const std::lock_guard lock(mutex_);
    return answered_;
  }
  void stop_load() {
    stop_ = true;
    if (load_.joinable()) load_.join();
  }
  ~BackupTest() override { stop_load(); }

  DevHost host_;
  std::thread load_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> answered_;
};

TEST_F(BackupTest, UnderLoadEverythingAnswered201BeforeItBeganIsRestored) {
  ASSERT_TRUE(host_.started()) << host_.log();
  const json secret = {{"data", {{"password", "correct horse battery staple"}}}};
  auto put = http("PUT", host_.url() + "/v1/secrets/app/db", secret.dump(), host_.admin_token(), host_.ca_file());
  ASSERT_TRUE(put && put->status == 200) << (put ? put->body : "");

  start_load();
  for (int i = 0; i < 300 && answered().size() < 20; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::vector<std::string> before = answered();
  ASSERT_GE(before.size(), 20u);
  const std::string archive = host_.dir().file("signet-backup.zip");
  const auto backed_up = run_command(signet("backup --data-dir " + host_.dir().file("dev") + " --out " + archive));
  // Issuance goes on after the backup (bounded wait), then stops.
  for (int i = 0; i < 300 && answered().size() <= before.size() + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop_load();
  ASSERT_EQ(backed_up.status, 0) << backed_up.output;
  EXPECT_NE(backed_up.output.find("database: SQLite, schema version"), std::string::npos) << backed_up.output;
  EXPECT_GT(answered().size(), before.size() + 2) << "the load did not go on around the backup";

  TempDir second;
  const std::string restored = second.file("restored");
  const auto restore = run_command(signet("restore " + archive + " --data-dir " + restored));
  ASSERT_EQ(restore.status, 0) << restore.output;
  EXPECT_EQ(run_command("stat -c %a " + restored).output, "700\n");

  SignetProcess again(dev_serve_args(second, restored), second.file("restored.log"));
  ASSERT_TRUE(again.started()) << again.log();
  const std::string token = trimmed(read_file(restored + "/admin-token"));
  const std::string ca = restored + "/ca.pem";
  for (const auto& id : before) {
    auto r = http("GET", again.url() + "/v1/certificates/" + id, "", token, ca);
    ASSERT_TRUE(r && r->status == 200) << id << ": " << (r ? r->body : r.error().message);
  }
  const auto verified = run_command(signet("audit verify --data-dir " + restored));
  EXPECT_EQ(verified.status, 0) << verified.output;

  // OCSP from the restored host for certificates issued before the backup (OpenSSL as the judge).
  const std::string issuing = second.write("issuing.pem", http("GET", again.status_url() + "/pki/internal/chain.pem").value().body);
  for (std::size_t i = 0; i < before.size(); i += before.size() / 3 + 1) {
    auto r = http("GET", again.url() + "/v1/certificates/" + before[i], "", token, ca);
    const std::string cert = second.write("c" + std::to_string(i) + ".pem", json_of(*r).value("certificate", ""));
    const auto answer = run_command("openssl ocsp -issuer " + issuing + " -cert " + cert + " -url " + again.status_url() +
                                    "/pki/internal/ocsp -CAfile " + ca + " -VAfile " + issuing + " -no_nonce 2>&1");
    EXPECT_NE(answer.output.find(": good"), std::string::npos) << answer.output;
  }
  auto read = http("GET", again.url() + "/v1/secrets/app/db", "", token, ca);
  ASSERT_TRUE(read && read->status == 200) << (read ? read->body : "");
  EXPECT_EQ(json_of(*read)["data"], secret["data"]);
}

TEST_F(BackupTest, ADamagedOrPartialBackupIsRefusedAndNothingIsMade) {
  ASSERT_TRUE(host_.started()) << host_.log();
  host_.issue("one.test");
  const std::string archive = host_.dir().file("b.zip");
  ASSERT_EQ(run_command(signet("backup --data-dir " + host_.dir().file("dev") + " --out " + archive)).status, 0);
  const auto again = run_command(signet("backup --data-dir " + host_.dir().file("dev") + " --out " + archive));
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.output.find("never overwrites"), std::string::npos) << again.output;

  const auto refused = [&](const std::string& file, const std::string& why) {
    const std::string target = host_.dir().file("from-" + why);
    const auto r = run_command(signet("restore " + file + " --data-dir " + target));
    EXPECT_NE(r.status, 0) << why << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(target)) << why;
    return r.output;
  };
  // Cut short, as a copy that stopped half way.
  const std::string cut = host_.dir().file("cut.zip");
  run_command("head -c $(( $(stat -c %s " + archive + ") / 2 )) " + archive + " > " + cut);
  EXPECT_NE(refused(cut, "cut").find("damaged or partial"), std::string::npos);
  // One entry's bytes changed (Python's zipfile writes the archive, so the ZIP itself is sound).
  const std::string edit = "import sys, zipfile\n"
                           "src, dst, mode = sys.argv[1:4]\n"
                           "with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as b:\n"
                           "    for i in a.infolist():\n"
                           "        data = a.read(i)\n"
                           "        if i.filename == 'ca.pem':\n"
                           "            if mode == 'drop': continue\n"
                           "            data = data.replace(b'A', b'B', 1)\n"
                           "        b.writestr(i, data)\n";
  const std::string script = host_.dir().write("edit.py", edit);
  const std::string changed = host_.dir().file("changed.zip"), dropped = host_.dir().file("dropped.zip");
  ASSERT_EQ(run_command("/usr/bin/python3 " + script + " " + archive + " " + changed + " change").status, 0);
  ASSERT_EQ(run_command("/usr/bin/python3 " + script + " " + archive + " " + dropped + " drop").status, 0);
  EXPECT_NE(refused(changed, "changed").find("ca.pem does not match its checksum"), std::string::npos);
  EXPECT_NE(refused(dropped, "dropped").find("partial"), std::string::npos);
  // Not a backup at all, and a data directory that is in use.
  EXPECT_NE(refused(host_.ca_file(), "not-zip").find("cannot read"), std::string::npos);
  const auto busy = run_command(signet("restore " + archive + " --data-dir " + host_.dir().file("dev")));
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.output.find("not empty"), std::string::npos) << busy.output;
}

}  // namespace
}  // namespace signet::test
