// A PostgreSQL restart under load: requests in flight at that moment get
// 503 with Retry-After, every request the host accepted (201, or 202 then
// polled) ends in a final state, nothing is half-written, and the host
// serves again without a restart of its own; the keys it makes are in
// store-postgres on the same server, which reconnects too. Always on PostgreSQL (this
// suite starts its own server), so it is not part of the postgresql/ rerun.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "postgres_server.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

TEST(PostgresRestart, RequestsAcceptedAroundARestartAllFinishAndTheHostRecovers) {
  PostgresServer server;
  ASSERT_TRUE(server.started()) << server.log();
  TempDir dir;
  const std::string url = server.create_database();
  ASSERT_FALSE(url.empty());
  const std::string config = dir.write(
      "signet.yaml",
      "database: " + url + "\n" +
          host_config(dir, internal_ca_plugins(dir, "        bootstrap: true\n") +
                               "  store:\n"
                               "    local: {plugin: store-postgres, config: {url: '" + url + "', "
                               "master_key: {file: " + dir.path() + "/data/store.key, create: true}}}\n"
                               "pipelines:\n"
                               "  issue: {validate: [profile-policy], sign: corp, store: local}\n"));
  const std::string token = bootstrap_token(dir, config);
  ASSERT_FALSE(token.empty());
  SignetProcess host({"serve", "--config", config}, dir.file("host.log"));
  ASSERT_TRUE(host.started()) << host.log();
  const std::string ca = dir.file("data/ca.pem");

  std::atomic<bool> stop{false};
  std::vector<json> accepted;  // request ids of 201 and 202 answers
  int unavailable = 0, without_retry_after = 0, other = 0;
  std::thread client([&] {
    for (int i = 0; i < 400 && !stop; ++i) {
      const std::string name = "r" + std::to_string(i) + ".example.com";
      auto r = http("POST", host.url() + "/v1/certificates",
                    json{{"common_name", name}, {"sans", {{"dns", {name}}}}, {"key", {{"type", "ecdsa"}}}}.dump(), token, ca);
      if (!r) continue;  // the connection itself failed: nothing was accepted
      const int status = r.value().status;
      if (status == 201 || status == 202) {
        accepted.push_back(json_of(r.value()).value("request_id", ""));
      } else if (status == 503) {
        ++unavailable;
        if (r.value().header("retry-after").empty()) ++without_retry_after;
      } else {
        ++other;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(server.stop(true)) << server.log();  // as a crash stops it
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_TRUE(server.start()) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  client.join();

  EXPECT_GT(unavailable, 0) << "the restart was seen";
  EXPECT_EQ(without_retry_after, 0);
  EXPECT_EQ(other, 0) << host.log();
  ASSERT_FALSE(accepted.empty());
  // The host serves again, and every accepted request finishes.
  for (const auto& id : accepted) {
    json request;
    for (int i = 0; i < 100; ++i) {
      auto r = http("GET", host.url() + "/v1/requests/" + id.get<std::string>(), "", token, ca);
      if (r && r.value().status == 200) {
        request = json_of(r.value());
        if (request.value("status", "") == "succeeded" || request.value("status", "") == "failed") break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(request.value("status", ""), "succeeded") << id << " " << request.dump();
  }
  auto fresh = http("POST", host.url() + "/v1/certificates",
                    json{{"common_name", "after.example.com"}, {"key", {{"type", "ecdsa"}}}}.dump(), token, ca);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh.value().status, 201) << fresh.value().body;
  EXPECT_EQ(host.stop(), 0);
  // Nothing half-written: each certificate has its issuance record, and the chain verifies.
  const auto counts = server.psql(url.substr(url.rfind('/') + 1),
                                  "SELECT (SELECT COUNT(*) FROM certificates) - (SELECT COUNT(*) FROM audit_log "
                                  "WHERE action = 'certificate.issue' AND outcome = 'success')");
  EXPECT_EQ(trimmed(counts.output), "0") << counts.output;
  const SignetRun verified = run_signet(dir, "audit verify --config " + config);
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace signet::test
