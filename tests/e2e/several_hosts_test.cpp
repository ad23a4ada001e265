// Several signet processes on one database (one SQLite file, or one
// PostgreSQL database when the suites run against it), with load spread
// over all of them: every answered certificate is recorded once, no serial
// appears twice, a revocation on one host shows in every host's OCSP
// answers, and the audit log stays one chain that verifies; with one
// host SIGKILLed mid-load, every request it accepted is finished by the
// others, and their schedulers renew each due certificate exactly once.
#include <map>
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
  // A revocation on one host shows in another host's OCSP answers.
  const json& victim = answers[0][0]["body"];
  const std::string cert = dir.write("victim.pem", victim.value("certificate", ""));
  auto chain = http("GET", hosts[1]->url() + "/pki/corp/chain.pem", "", "", dir.file("data/ca.pem"));
  ASSERT_TRUE(chain && chain.value().status == 200);
  const std::string issuing = dir.write("issuing.pem", chain.value().body);
  ASSERT_EQ(run_command("openssl ocsp -issuer " + issuing + " -cert " + cert + " -no_nonce -reqout " + dir.file("req.der")).status, 0);
  const auto ocsp_status = [&](SignetProcess& host) {
    run_command("curl -s --cacert " + dir.file("data/ca.pem") + " -H 'Content-Type: application/ocsp-request' --data-binary @" +
                dir.file("req.der") + " -o " + dir.file("resp.der") + " " + host.url() + "/pki/corp/ocsp");
    const std::string text = run_command("openssl ocsp -respin " + dir.file("resp.der") + " -resp_text -noverify").output;
    return text.find("Cert Status: revoked") != std::string::npos ? "revoked"
           : text.find("Cert Status: good") != std::string::npos  ? "good"
                                                                   : text;
  };
  EXPECT_EQ(ocsp_status(*hosts[1]), "good");
  auto revoked = http("POST", hosts[0]->url() + "/v1/certificates/" + victim.value("id", "") + "/revoke",
                      json{{"reason", "key_compromise"}}.dump(), token, dir.file("data/ca.pem"));
  ASSERT_TRUE(revoked && revoked.value().status == 200);
  std::string seen;
  for (int i = 0; i < 50 && seen != "revoked"; ++i) {
    seen = ocsp_status(*hosts[1]);
    if (seen != "revoked") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(seen, "revoked") << "host b still answers for a certificate host a revoked";
  EXPECT_EQ(ocsp_status(*hosts[2]), "revoked");

  for (auto& host : hosts) EXPECT_EQ(host->stop(), 0);
  const SignetRun verified = run_signet(dir, "audit verify --config " + config);
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("audit log intact"), std::string::npos) << verified.out;
}

std::string shared_config(const TempDir& dir, const std::string& extra = "") {
  return dir.write("signet.yaml",
                   host_config(dir, "    auto_renew: {enabled: true, threshold_days: 30}\n" +
                                        internal_ca_plugins(dir, "        bootstrap: true\n") +
                                        "  store:\n"
                                        "    local: {plugin: store-local, config: {path: " + dir.path() +
                                        "/data/store.db, master_key: {file: " + dir.path() +
                                        "/data/store.key, create: true}}}\n"
                                        "pipelines:\n"
                                        "  issue: {validate: [profile-policy], sign: corp, store: local}\n" + extra));
}

TEST(SeveralHosts, ASigkilledHostLosesNothingAndRenewalsHappenOnce) {
  TempDir dir;
  const std::string config = shared_config(dir, "renewal: {schedule: '* * * * *'}\nlifecycle: {interval: 200ms}\n");
  const std::string token = bootstrap_token(dir, config);
  ASSERT_FALSE(token.empty());
  const std::string ca = dir.file("data/ca.pem");
  std::vector<std::unique_ptr<SignetProcess>> hosts;
  for (const char* name : {"a", "b", "c"}) {
    hosts.push_back(std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config, "--test-clock"},
                                                    dir.file(std::string("host-") + name + ".log")));
    ASSERT_TRUE(hosts.back()->started()) << hosts.back()->log();
  }
  // Load on all three; host c dies in the middle of it.
  std::vector<std::string> accepted[3];
  std::vector<std::thread> clients;
  for (std::size_t h = 0; h < 3; ++h)
    clients.emplace_back([&, h] {
      for (int i = 0; i < 25; ++i) {
        const std::string name = "k" + std::to_string(h) + "-" + std::to_string(i) + ".example.com";
        const json body = {{"common_name", name}, {"sans", {{"dns", {name}}}}, {"ttl", "3h"}, {"key", {{"type", "ecdsa"}}}};
        auto r = http("POST", hosts[h]->url() + "/v1/certificates", body.dump(), token, ca);
        if (r && (r.value().status == 201 || r.value().status == 202))
          accepted[h].push_back(json_of(r.value()).value("request_id", ""));
      }
    });
  while (accepted[2].size() < 8) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  hosts[2]->kill_hard();
  for (auto& c : clients) c.join();
  ASSERT_GE(accepted[2].size(), 8u);

  // Everything any host accepted finishes on the survivors (c's leases run out after runner.lease).
  const auto call = [&](SignetProcess& host, const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host.url() + path, body.is_null() ? "" : body.dump(), token, ca);
    json out = r ? json_of(r.value()) : json::object();
    if (!out.is_object()) out = json::object();
    out["_status"] = r ? r.value().status : -1;
    return out;
  };
  std::set<std::string> certificates;
  for (const auto& ids : accepted)
    for (const auto& id : ids) {
      json request = json::object();
      for (int i = 0; i < 150 && request.value("status", "") != "succeeded"; ++i) {
        request = call(*hosts[i % 2], "GET", "/v1/requests/" + id);
        if (request.value("status", "") != "succeeded") std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      ASSERT_EQ(request.value("status", ""), "succeeded") << id << " " << request.dump();
      certificates.insert(request.value("certificate_id", ""));
    }
  std::size_t total = 0;
  for (const auto& ids : accepted) total += ids.size();
  EXPECT_EQ(certificates.size(), total);

  // Both surviving schedulers see the certificates due (2h of 3h gone) and race for them.
  std::thread move_a([&] { EXPECT_EQ(call(*hosts[0], "POST", "/v1/test/clock", {{"advance", "2h1m"}})["_status"], 200); });
  std::thread move_b([&] { EXPECT_EQ(call(*hosts[1], "POST", "/v1/test/clock", {{"advance", "2h1m"}})["_status"], 200); });
  move_a.join();
  move_b.join();
  json page;
  std::map<std::string, int> renewals;
  for (int i = 0; i < 150; ++i) {
    (void)call(*hosts[i % 2], "POST", "/v1/renewals/run");
    page = call(*hosts[0], "GET", "/v1/certificates?limit=1000");
    renewals.clear();
    for (const auto& c : page["items"])
      if (c["renews"].is_string()) ++renewals[c["renews"].get<std::string>()];
    if (renewals.size() >= certificates.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::set<std::string> serials;
  for (const auto& c : page["items"]) EXPECT_TRUE(serials.insert(c.value("serial", "")).second) << "serial twice: " << c.dump();
  for (const auto& id : certificates) EXPECT_EQ(renewals[id], 1) << id;
  EXPECT_EQ(page["items"].size(), 2 * certificates.size());

  EXPECT_EQ(hosts[0]->stop(), 0);
  EXPECT_EQ(hosts[1]->stop(), 0);
  const SignetRun verified = run_signet(dir, "audit verify --config " + config);
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace signet::test
