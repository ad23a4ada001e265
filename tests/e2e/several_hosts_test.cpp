// Several signet processes on one database (one SQLite file, or one
// PostgreSQL database when the suites run against it), with load spread
// over all of them: every answered certificate is recorded once, no serial
// appears twice, and the audit log stays one chain that verifies.
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

TEST(SeveralHosts, ShareOneDatabaseWithoutDuplicatesAndWithOneAuditChain) {
  TempDir dir;
  const std::string config = dir.write(
      "signet.yaml",
      host_config(dir, internal_ca_plugins(dir, "        bootstrap: true\n") +
                           "  store:\n"
                           "    local: {plugin: store-local, config: {path: " + dir.path() + "/data/store.db, master_key: "
                           "{file: " + dir.path() + "/data/store.key, create: true}}}\n"
                           "pipelines:\n"
                           "  issue: {validate: [profile-policy], sign: corp, store: local}\n"));
  // Three processes migrating the fresh database at once: one does, the others find it done.
  std::string script;
  for (const char* i : {"1", "2", "3"})
    script += binary_path() + " audit verify --config " + config + " > " + dir.file(std::string("migrate-") + i + ".log") +
              " 2>&1 & p" + i + "=$!; ";
  const auto migrated = run_command(script + "f=0; for p in $p1 $p2 $p3; do wait $p || f=$((f+1)); done; echo $f");
  EXPECT_EQ(trimmed(migrated.output), "0") << read_file(dir.file("migrate-1.log")) << read_file(dir.file("migrate-2.log"))
                                           << read_file(dir.file("migrate-3.log"));
  const std::string token = bootstrap_token(dir, config);
  ASSERT_FALSE(token.empty());
  std::vector<std::unique_ptr<SignetProcess>> hosts;
  for (const char* name : {"a", "b", "c"}) {  // one after the other: the first creates the CA
    hosts.push_back(std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config},
                                                    dir.file(std::string("host-") + name + ".log")));
    ASSERT_TRUE(hosts.back()->started()) << hosts.back()->log();
  }

  constexpr int kPerHost = 20;
  std::vector<std::vector<json>> answers(hosts.size());
  std::vector<std::thread> clients;
  for (std::size_t h = 0; h < hosts.size(); ++h)
    clients.emplace_back([&, h] {
      for (int i = 0; i < kPerHost; ++i) {
        const std::string name = "h" + std::to_string(h) + "-" + std::to_string(i) + ".example.com";
        const json body = {{"common_name", name}, {"sans", {{"dns", {name}}}}, {"key", {{"type", "ecdsa"}}}};
        auto r = http("POST", hosts[h]->url() + "/v1/certificates", body.dump(), token, dir.file("data/ca.pem"));
        answers[h].push_back(r ? json{{"status", r.value().status}, {"body", json_of(r.value())}} : json{{"status", -1}});
      }
    });
  for (auto& c : clients) c.join();

  std::set<std::string> serials, ids;
  for (std::size_t h = 0; h < hosts.size(); ++h)
    for (const auto& a : answers[h]) {
      ASSERT_EQ(a["status"], 201) << "host " << h << ": " << a.dump() << hosts[h]->log();
      EXPECT_TRUE(serials.insert(a["body"].value("serial", "")).second) << "serial twice: " << a.dump();
      ids.insert(a["body"].value("id", ""));
    }
  EXPECT_EQ(serials.size(), hosts.size() * kPerHost);
  // Every host sees every certificate.
  for (const auto& host : hosts) {
    auto page = http("GET", host->url() + "/v1/certificates?limit=1000", "", token, dir.file("data/ca.pem"));
    ASSERT_TRUE(page);
    const json listing = json_of(page.value());
    std::set<std::string> listed;
    for (const auto& c : listing["items"]) listed.insert(c.value("id", ""));
    EXPECT_EQ(listed, ids);
  }
  for (auto& host : hosts) EXPECT_EQ(host->stop(), 0);
  const SignetRun verified = run_signet(dir, "audit verify --config " + config);
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("audit log intact"), std::string::npos) << verified.out;
}

}  // namespace
}  // namespace signet::test
