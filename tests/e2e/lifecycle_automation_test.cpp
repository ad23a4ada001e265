// Lifecycle automation through the real binary with a controlled clock
// (serve --test-clock): renewal at the threshold and not before, revocation
// at the end of use, expiry warnings once each, webhook deliveries that
// survive a dead receiver and a SIGKILL of the host, and two hosts on one
// database that race to renew the same certificates.
#include <atomic>
#include <iostream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "util/time.hpp"
#include "webhook_receiver.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "a-webhook-secret-of-some-length";

class LifecycleAutomation : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("signet.yaml", config_text());
    token_ = bootstrap_token(dir_, config_);
    ASSERT_FALSE(token_.empty());
  }

  std::string config_text() const {
    return host_config(dir_,
                       "    auto_renew: {enabled: true, threshold_days: 30}\n" +
                           internal_ca_plugins(dir_, "        bootstrap: true\n"
                                                     "        root: {common_name: Corp Root, key: {type: ecdsa}}\n"
                                                     "        issuing: {common_name: Corp Issuing, key: {type: ecdsa}}\n") +
                           "  store:\n"
                           "    local: {plugin: store-local, config: {path: " + dir_.path() + "/data/store.db, master_key: "
                           "{file: " + dir_.path() + "/data/store.key, create: true}}}\n"
                           "  notifier:\n"
                           "    hooks: {plugin: notify-webhook, config: {url: '" + receiver_.url() + "', secret: " + kSecret + "}}\n"
                           "pipelines:\n"
                           "  issue: {validate: [profile-policy], sign: corp, store: local, notify: [hooks]}\n"
                           "  revoke: {notify: [hooks]}\n"
                           "notifications: {poll_interval: 100ms, retry: {initial: 200ms, max: 1s}}\n"
                           "lifecycle: {interval: 200ms}\n");
  }

  std::unique_ptr<SignetProcess> start(const std::string& log = "host.log") {
    auto host = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_, "--test-clock"},
                                                dir_.file(log));
    EXPECT_TRUE(host->started()) << host->log();
    return host;
  }

  json call(SignetProcess& host, const std::string& method, const std::string& path, const json& body = nullptr) {
    auto r = http(method, host.url() + path, body.is_null() ? "" : body.dump(), token_, dir_.path() + "/data/ca.pem");
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return json::object();
    json out = json_of(r.value());
    out["_status"] = r.value().status;
    return out;
  }

  json issue(SignetProcess& host, const std::string& name, json extra = json::object()) {
    json body = {{"common_name", name}, {"sans", {{"dns", {name}}}}, {"ttl", "90d"}, {"key", {{"type", "ecdsa"}}}};
    body.update(extra);
    json issued = call(host, "POST", "/v1/certificates", body);
    EXPECT_EQ(issued["_status"], 201) << issued.dump();
    return issued;
  }

  void advance(SignetProcess& host, const std::string& by) {
    const json moved = call(host, "POST", "/v1/test/clock", {{"advance", by}});
    ASSERT_EQ(moved["_status"], 200) << moved.dump();
  }

  json certificate(SignetProcess& host, const std::string& id) { return call(host, "GET", "/v1/certificates/" + id); }

  TempDir dir_;
  WebhookReceiver receiver_;
  std::string config_, token_;
};

TEST_F(LifecycleAutomation, RenewsAtTheThresholdAndNotBefore) {
  auto host = start();
  const json old = issue(*host, "app.example.com");
  const std::string id = old.value("id", "");
  // 90 days: due once 30 days are left (less than a third of 90).
  advance(*host, "59d23h");
  EXPECT_TRUE(certificate(*host, id)["renewed_by"].is_null()) << "renewed a day early";
  EXPECT_EQ(call(*host, "GET", "/v1/renewals/due")["count"], 0) << "not due yet";
  EXPECT_EQ(call(*host, "POST", "/v1/renewals/run")["renewed"].size(), 0u);
  advance(*host, "1h1m");
  // GET /v1/renewals/due names it and renews nothing.
  const json due = call(*host, "GET", "/v1/renewals/due");
  ASSERT_EQ(due["count"], 1) << due.dump();
  EXPECT_EQ(due["items"][0]["id"], id);
  EXPECT_TRUE(certificate(*host, id)["renewed_by"].is_null()) << "listing what is due renews nothing";
  const json run = call(*host, "POST", "/v1/renewals/run");
  const json after = certificate(*host, id);
  ASSERT_FALSE(after["renewed_by"].is_null()) << after.dump() << run.dump() << host->log();
  const json renewed = certificate(*host, after["renewed_by"]);
  EXPECT_EQ(renewed["renews"], id);
  EXPECT_EQ(renewed["common_name"], "app.example.com");
  EXPECT_NE(renewed["serial"], old["serial"]);
  EXPECT_EQ(renewed["renewal"]["count"], 1);
  EXPECT_EQ(renewed["auto_renew"], true);
  EXPECT_EQ(call(*host, "GET", "/v1/certificates/" + id + "/current")["id"], after["renewed_by"]);
  // The renewal event reached the receiver, signed.
  ASSERT_TRUE(receiver_.wait_for("\"renewed\"", 1, 10)) << host->log();
  for (const auto& hook : receiver_.received()) {
    if (hook.body.find("\"renewed\"") == std::string::npos) continue;
    const std::string file = dir_.write("hook.txt", hook.headers.at("x-signet-timestamp") + "." + hook.body);
    const auto mac = run_command("openssl dgst -sha256 -hmac '" + std::string(kSecret) + "' -r " + file);
    EXPECT_EQ("sha256=" + mac.output.substr(0, 64), hook.headers.at("x-signet-signature"));
    EXPECT_EQ(json::parse(hook.body)["certificate_id"], after["renewed_by"]);
  }
  // A renewed certificate is not renewed again by the next run, nor listed as due.
  EXPECT_EQ(call(*host, "POST", "/v1/renewals/run")["renewed"].size(), 0u);
  EXPECT_EQ(call(*host, "GET", "/v1/renewals/due")["count"], 0);
}

// The rule is measured on the life that was asked for, from issuance, not
// from the CA's backdated notBefore (60 s earlier): a 30 s certificate is
// not due the moment it is issued, and is due once two thirds have passed.
TEST_F(LifecycleAutomation, AShortLivedCertificateIsNotDueWhenIssued) {
  auto host = start();
  const std::string id = issue(*host, "short.example.com", {{"ttl", "30s"}}).value("id", "");
  ASSERT_FALSE(id.empty());
  const json first = call(*host, "POST", "/v1/renewals/run");
  EXPECT_EQ(first["renewed"].size(), 0u) << first.dump();
  EXPECT_TRUE(certificate(*host, id)["renewed_by"].is_null());
  // Renewed by this run or by the round the clock's advance runs itself.
  advance(*host, "21s");
  const json second = call(*host, "POST", "/v1/renewals/run");
  const json renewed = certificate(*host, id);
  ASSERT_TRUE(renewed["renewed_by"].is_string()) << second.dump() << host->log();
  // The successor lives 30 s too: the backdating is not added to its life.
  const json successor = certificate(*host, renewed["renewed_by"]);
  const auto life = [](const json& c) {
    return host::parse_rfc3339(c.value("not_after", "")).value_or(host::TimePoint{}) -
           host::parse_rfc3339(c.value("not_before", "")).value_or(host::TimePoint{});
  };
  EXPECT_EQ(life(successor), life(certificate(*host, id))) << successor.dump();
}

TEST_F(LifecycleAutomation, RevokesExactlyAtTheEndOfUse) {
  auto host = start();
  const std::string end = trimmed(run_command("date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ").output);
  const json cert = issue(*host, "temp.example.com", {{"not_after_use", end}});
  ASSERT_TRUE(cert.contains("id")) << cert.dump();
  const std::string id = cert.value("id", "");
  EXPECT_EQ(certificate(*host, id)["not_after_use"], end);
  advance(*host, "9d23h58m");
  EXPECT_EQ(certificate(*host, id)["status"], "active");
  advance(*host, "3m");
  json after = json::object();
  for (int i = 0; i < 50 && after.value("status", "") != "revoked"; ++i) {
    after = certificate(*host, id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(after["status"], "revoked") << after.dump() << host->log();
  EXPECT_EQ(after["revocation_reason"], "cessation_of_operation");
  ASSERT_TRUE(receiver_.wait_for("cessation_of_operation", 1, 10));
}

TEST_F(LifecycleAutomation, DeliveriesWaitForTheReceiverAndSurviveASigkill) {
  receiver_.stop();
  std::string id;
  {
    auto host = start();
    id = issue(*host, "hook.example.com").value("id", "");
    // The receiver is down: the notification stays pending, with its attempts.
    json pending;
    for (int i = 0; i < 50; ++i) {
      pending = call(*host, "GET", "/v1/notifications?certificate_id=" + id);
      if (!pending["items"].empty() && pending["items"][0].value("attempts", 0) >= 2) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_FALSE(pending["items"].empty()) << pending.dump();
    EXPECT_EQ(pending["items"][0]["status"], "pending");
    EXPECT_GE(pending["items"][0].value("attempts", 0), 2);
    host->kill_hard();
  }
  receiver_.start();
  auto host = start();
  ASSERT_TRUE(receiver_.wait_for(id, 1, 15)) << host->log();
  json delivered;
  for (int i = 0; i < 50; ++i) {
    delivered = call(*host, "GET", "/v1/notifications?certificate_id=" + id);
    if (delivered["items"][0]["status"] == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(delivered["items"][0]["status"], "delivered") << delivered.dump();
  EXPECT_EQ(delivered["items"][0]["event_type"], "issued");
}

TEST_F(LifecycleAutomation, ExpiryWarningsAreSentOnceEach) {
  auto host = start();
  const std::string id = issue(*host, "warn.example.com", {{"auto_renew", false}}).value("id", "");
  const auto warnings = [&](const std::string& label) {
    return receiver_.count_of("\"warning\":\"" + label + "\"");
  };
  advance(*host, "60d1m");  // 30 days left
  ASSERT_TRUE(receiver_.wait_for("\"warning\":\"30d\"", 1, 10)) << host->log();
  advance(*host, "1m");
  advance(*host, "16d");  // 14 days left
  ASSERT_TRUE(receiver_.wait_for("\"warning\":\"14d\"", 1, 10));
  advance(*host, "7d");  // 7 days left
  ASSERT_TRUE(receiver_.wait_for("\"warning\":\"7d\"", 1, 10));
  advance(*host, "6d");  // 1 day left
  ASSERT_TRUE(receiver_.wait_for("\"warning\":\"1d\"", 1, 10));
  advance(*host, "1h");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const char* label : {"30d", "14d", "7d", "1d"}) EXPECT_EQ(warnings(label), 1u) << label;
  advance(*host, "1d");  // past notAfter: expired, and said so
  ASSERT_TRUE(receiver_.wait_for("\"expired\"", 1, 10));
  EXPECT_EQ(certificate(*host, id)["status"], "expired");
}

TEST_F(LifecycleAutomation, TwoHostsRacingRenewEachCertificateOnce) {
  // One database, two hosts, both schedulers due every minute, and both
  // asked to run by hand at the same moment.
  config_ = dir_.write("signet.yaml", config_text() + "renewal: {schedule: '* * * * *'}\n");
  auto a = start("host-a.log");
  auto b = start("host-b.log");
  ASSERT_TRUE(a->started() && b->started());
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(issue(i % 2 ? *a : *b, "race" + std::to_string(i) + ".example.com").value("id", ""));
  std::atomic<int> conflicts{0};
  const auto race = [&](SignetProcess& host) {
    advance(host, "60d1m");  // each host has its own test clock; the round runs in the answer
    for (int i = 0; i < 5; ++i) {
      const json run = call(host, "POST", "/v1/renewals/run");
      if (run["_status"] == 409) {  // the other host holds the renewal lock, and the answer says which
        ++conflicts;
        EXPECT_EQ(run["error"].value("message", "").find("on host ;"), std::string::npos) << run.dump();
      }
      else EXPECT_EQ(run["_status"], 200) << run.dump();
    }
  };
  std::thread on_a([&] { race(*a); });
  std::thread on_b([&] { race(*b); });
  on_a.join();
  on_b.join();
  // Every certificate was renewed, by one host, once.
  json page;
  for (int i = 0; i < 100; ++i) {
    page = call(*a, "GET", "/v1/certificates?limit=1000");
    if (page["items"].size() >= 24u) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::map<std::string, int> renewals;
  for (const auto& c : page["items"])
    if (c["renews"].is_string()) ++renewals[c["renews"].get<std::string>()];
  for (const auto& id : ids) EXPECT_EQ(renewals[id], 1) << id;
  EXPECT_EQ(page["items"].size(), 24u) << page.dump();
  // One renewed event each, delivered once though both hosts deliver.
  ASSERT_TRUE(receiver_.wait_for("\"renewed\"", 12, 15));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(receiver_.count_of("\"renewed\""), 12u);
  std::cout << "manual runs refused while the other host renewed: " << conflicts.load() << "\n";
}

}  // namespace
}  // namespace signet::test
