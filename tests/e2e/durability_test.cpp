// SIGKILL during sustained issuance: every certificate answered 201 is
// still there after a restart, and no serial is ever used twice.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

struct Answered {
  std::string id, serial, key;
};

class Durability : public ::testing::Test {
 protected:
  std::unique_ptr<SignetProcess> start() {
    auto host = std::make_unique<SignetProcess>(
        dev_serve_args(dir_, dir_.file("dev")), dir_.file("dev.log"));
    EXPECT_TRUE(host->started()) << host->log();
    return host;
  }
  std::string token() const { return trimmed(read_file(dir_.file("dev/admin-token"))); }
  std::string sql(const std::string& query) const {
    return trimmed(query_database(dir_, dir_.file("dev/signet.db"), query).output);
  }

  TempDir dir_;
};

TEST_F(Durability, SigkillDuringIssuanceLosesNoAnsweredCertificateAndReusesNoSerial) {
  auto host = start();
  ASSERT_TRUE(host->started());
  const std::string csr = make_csr(dir_, "load.test", "DNS:load.test");
  ASSERT_FALSE(csr.empty());
  const std::string url = host->url(), ca = dir_.file("dev/ca.pem"), bearer = token();

  // Eight clients issue until the host dies (each at most 400 requests);
  // half of them ask for server-made keys, so the store is under load too.
  std::mutex mutex;
  std::vector<Answered> answered;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      const nlohmann::json body = c % 2 ? nlohmann::json{{"csr", csr}}
                                        : nlohmann::json{{"common_name", "k" + std::to_string(c) + ".test"}, {"key", {{"type", "ecdsa"}}}};
      for (int i = 0; i < 400; ++i) {
        auto r = http("POST", url + "/v1/certificates", body.dump(), bearer, ca);
        if (!r || r.value().status != 201) {
          ++failures;
          return;  // the host is gone (or refused): stop this client
        }
        const auto j = json_of(r.value());
        std::lock_guard lock(mutex);
        answered.push_back({j.value("id", ""), j.value("serial", ""), j.value("private_key", "")});
      }
    });
  }
  // Kill it mid-stream, once a good number of certificates were answered.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mutex);
      if (answered.size() >= 150) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  host->kill_hard();
  for (auto& t : clients) t.join();
  ASSERT_GE(answered.size(), 50u) << "too few answers before the kill to mean anything";
  EXPECT_GT(failures.load(), 0) << "the kill should have cut some requests short";

  // Every serial the CAs ever considered is recorded once.
  EXPECT_EQ(sql("SELECT COUNT(*) - COUNT(DISTINCT ca || serial) FROM issuance_ledger"), "0");

  host = start();
  ASSERT_TRUE(host->started());
  const std::string after_url = host->url();
  for (const auto& a : answered) {
    auto r = http("GET", after_url + "/v1/certificates/" + a.id, "", bearer, ca);
    ASSERT_TRUE(r);
    ASSERT_EQ(r.value().status, 200) << "certificate " << a.id << " was answered 201 and is gone";
    EXPECT_EQ(json_of(r.value()).value("serial", ""), a.serial);
    if (!a.key.empty()) {
      auto bundle = http("GET", after_url + "/v1/certificates/" + a.id + "/bundle", "", bearer, ca);
      ASSERT_TRUE(bundle);
      EXPECT_EQ(json_of(bundle.value()).value("private_key", ""), a.key) << "the key of " << a.id << " is gone";
    }
  }
  // Every recorded certificate is in the ledger, and serials stay unique
  // as issuance goes on after the restart.
  EXPECT_EQ(sql("SELECT COUNT(*) FROM certificates c LEFT JOIN issuance_ledger l ON l.ca = c.ca AND l.serial = c.serial "
                "WHERE l.serial IS NULL"),
            "0");
  for (int i = 0; i < 20; ++i) {
    auto r = http("POST", after_url + "/v1/certificates", nlohmann::json{{"csr", csr}}.dump(), bearer, ca);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().status, 201) << r.value().body;
  }
  EXPECT_EQ(sql("SELECT COUNT(*) - COUNT(DISTINCT ca || serial) FROM issuance_ledger"), "0");
  EXPECT_EQ(sql("SELECT COUNT(*) - COUNT(DISTINCT ca || serial) FROM certificates"), "0");
  // The audit log: one record per issued certificate's request, numbered without gaps.
  EXPECT_EQ(sql("SELECT COUNT(*) FROM certificates c LEFT JOIN audit_log a ON a.request_id = c.request_id "
                "AND a.action = 'certificate.issue' WHERE a.seq IS NULL"),
            "0");
  EXPECT_EQ(sql("SELECT COUNT(*) - COUNT(DISTINCT request_id) FROM audit_log WHERE action = 'certificate.issue'"), "0");
  EXPECT_EQ(sql("SELECT MAX(seq) - COUNT(*) FROM audit_log"), "0");
}

}  // namespace
}  // namespace signet::test
