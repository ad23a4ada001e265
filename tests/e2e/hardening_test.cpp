// What the host keeps to itself: key files others can read stop it, and no
// secret it handled (tokens, secret ids, private keys, bundle passwords)
// shows up in anything it wrote or answered besides where it belongs.
#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

TEST(Hardening, AKeyFileOthersCanReadStopsTheHost) {
  TempDir dir;
  const auto made = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1"
                                " -keyout " + dir.file("tls.key") + " -out " + dir.file("tls.crt") + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.output;
  std::string config = host_config(dir, "");
  config.replace(config.find("{auto: true}"), 12, "{cert: " + dir.file("tls.crt") + ", key: " + dir.file("tls.key") + "}");
  const std::string file = dir.write("host.yaml", config);

  fs::permissions(dir.file("tls.key"), fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  const SignetRun refused = run_signet(dir, "serve --config " + file);
  EXPECT_EQ(refused.status, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("mode 0604); chmod 600 it"), std::string::npos) << refused.err;

  fs::permissions(dir.file("tls.key"), fs::perms::owner_read | fs::perms::owner_write);
  SignetProcess host({"serve", "--config", file}, dir.file("host.log"));
  EXPECT_TRUE(host.started()) << host.log();
}

TEST(Hardening, SecretsNeverReachTheLogTheDatabaseOrAnErrorBody) {
  TempDir dir;
  std::string answers;  // every body the host sent back, but for the answers meant to carry a secret
  std::vector<std::string> secrets;
  {
    SignetProcess host(dev_serve_args(dir, dir.file("dev")), dir.file("dev.log"));
    ASSERT_TRUE(host.started()) << host.log();
    std::string admin = read_file(dir.file("dev/admin-token"));
    admin.pop_back();
    secrets.push_back(admin);
    const std::string ca = dir.file("dev/ca.pem");
    auto call = [&](const std::string& method, const std::string& path, const std::string& body, const std::string& token,
                    bool carries_secret = false) {
      auto r = http(method, host.url() + path, body, token, ca);
      EXPECT_TRUE(r);
      if (!r) return json();
      if (!carries_secret) answers += r.value().body + "\n";
      return json::parse(r.value().body, nullptr, false);
    };
    const json token = call("POST", "/v1/tokens", json{{"roles", {"auditor"}}}.dump(), admin, true);
    secrets.push_back(token.value("token", "x"));
    const json role = call("POST", "/v1/auth/approles", json{{"name", "ci"}, {"roles", {"auditor"}}}.dump(), admin);
    const json secret = call("POST", "/v1/auth/approles/" + role.value("role_id", "") + "/secret-id", "{}", admin, true);
    secrets.push_back(secret.value("secret_id", "x"));
    const json login = call("POST", "/v1/auth/login",
                            json{{"role_id", role.value("role_id", "")}, {"secret_id", secrets.back()}}.dump(), "", true);
    secrets.push_back(login.value("token", "x"));
    const json issued = call("POST", "/v1/certificates", json{{"common_name", "k.test"}, {"key", {{"type", "rsa"}}}}.dump(),
                             admin, true);
    const auto key_lines = lines_of(issued.value("private_key", ""));
    ASSERT_GT(key_lines.size(), 4u);
    secrets.push_back(key_lines[key_lines.size() / 2]);  // a line from the middle of the key
    secrets.push_back("p12-Password-4711");
    auto p12 = http("GET", host.url() + "/v1/certificates/" + issued.value("id", "") + "/bundle?format=p12&password=" +
                               secrets.back(), "", admin, ca);
    ASSERT_TRUE(p12 && p12.value().status == 200);
    // Refusals that are handed secrets must not repeat them.
    call("GET", "/v1/certificates", "", "sgt_" + std::string(43, 'A'));
    secrets.push_back("sgt_" + std::string(43, 'A'));
    call("POST", "/v1/auth/login", json{{"role_id", role.value("role_id", "")}, {"secret_id", "sgs_guessed-secret-1"}}.dump(), "");
    secrets.push_back("sgs_guessed-secret-1");
    call("POST", "/v1/tokens", json{{"roles", {"auditor"}}, {"description", 7}, {"secret", secrets[1]}}.dump(), admin);
    EXPECT_EQ(host.stop(), 0);
  }
  // The log, the metadata database and every answer; the key store and key files hold what they should, encrypted.
  const std::string log = read_file(dir.file("dev.log"));
  const std::string database = database_contents(dir, dir.file("dev/signet.db"));
  ASSERT_NE(database.find("audit_log"), std::string::npos) << "the database was read";
  ASSERT_FALSE(log.empty());
  for (const auto& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "in the log: " << secret;
    EXPECT_EQ(database.find(secret), std::string::npos) << "in the database: " << secret;
    EXPECT_EQ(answers.find(secret), std::string::npos) << "in an answer: " << secret;
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir.file("dev"))) {
    const auto mode = fs::status(entry.path()).permissions();
    if (entry.is_directory()) {
      EXPECT_EQ(mode & (fs::perms::group_all | fs::perms::others_all), fs::perms::none) << entry.path();
      continue;
    }
    if (!entry.is_regular_file()) continue;
    // Certificates are public: the trust anchor, the CA chain, the TLS certificate.
    const std::string name = entry.path().filename().string();
    if (name == "ca.pem" || name == "chain.pem" || name == "server.crt") continue;
    EXPECT_EQ(mode & (fs::perms::group_all | fs::perms::others_all), fs::perms::none) << entry.path();
  }
}

}  // namespace
}  // namespace signet::test
