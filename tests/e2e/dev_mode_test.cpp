// `signet serve --dev`: nothing to configure, an admin token and a CA file
// to trust, HTTPS on loopback; and `signet token bootstrap`.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

int mode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

class DevMode : public ::testing::Test {
 protected:
  std::unique_ptr<SignetProcess> start() {
    auto host = std::make_unique<SignetProcess>(
        dev_serve_args(dir_, data_), dir_.file("dev.log"));
    EXPECT_TRUE(host->started()) << host->log();
    return host;
  }
  TempDir dir_;
  std::string data_ = dir_.file("dev");
};

TEST_F(DevMode, WritesATokenAndATrustAnchorAndServesHttps) {
  auto host = start();
  EXPECT_EQ(host->url().rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_NE(host->log().find("admin token:    " + data_ + "/admin-token"), std::string::npos) << host->log();
  EXPECT_EQ(mode_of(data_), 0700);
  EXPECT_EQ(mode_of(data_ + "/admin-token"), 0600);
  EXPECT_EQ(mode_of(data_ + "/tls/server.key"), 0600);
  const std::string token = trimmed(read_file(data_ + "/admin-token"));
  auto verified = http("GET", host->url() + "/v1/requests/req_none", "", token, data_ + "/ca.pem");
  ASSERT_TRUE(verified) << verified.error().message;  // TLS verified against ca.pem
  EXPECT_EQ(verified.value().status, 404);
  auto untrusted = http("GET", host->url() + "/health");
  EXPECT_FALSE(untrusted) << "the system store does not trust the dev CA";
  EXPECT_EQ(host->stop(), 0) << "SIGTERM is a clean shutdown";
}

TEST_F(DevMode, KeepsItsTokenAcrossRestarts) {
  start()->stop();
  const std::string first = read_file(data_ + "/admin-token");
  auto host = start();
  EXPECT_EQ(read_file(data_ + "/admin-token"), first);
  auto r = http("GET", host->url() + "/v1/requests/req_none", "", trimmed(first), data_ + "/ca.pem");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().status, 404);
}

TEST_F(DevMode, TokenBootstrapRefusesASecondSuperAdminUnlessForced) {
  start()->stop();
  const std::string out = dir_.file("second-token");
  const auto refused = run_command(binary_path() + " token bootstrap --data-dir " + data_ + database_flag(dir_) + " --out " + out);
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.output.find("a pki_super_admin token exists already"), std::string::npos) << refused.output;
  const auto forced = run_command(binary_path() + " token bootstrap --data-dir " + data_ + database_flag(dir_) + " --out " + out + " --force");
  EXPECT_EQ(forced.status, 0) << forced.output;
  EXPECT_EQ(mode_of(out), 0600);
  auto host = start();
  auto r = http("GET", host->url() + "/v1/requests/req_none", "", trimmed(read_file(out)), data_ + "/ca.pem");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().status, 404);
  EXPECT_EQ(query_database(dir_, data_ + "/signet.db", "SELECT COUNT(*) FROM tokens WHERE token_hash LIKE 'sgt_%'").output, "0\n")
      << "only hashes are stored";
}

}  // namespace
}  // namespace signet::test
