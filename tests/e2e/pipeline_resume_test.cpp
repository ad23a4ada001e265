// The persisted runner through the real binary: issuance that finishes,
// waits on a ticket, retries, fails — and resumes after a SIGKILL.
#include <gtest/gtest.h>
#include <thread>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.file("signet.yaml");
    dir_.write("signet.yaml", host_config(dir_,
        "plugins:\n"
        "  directories: [" SIGNET_TEST_PLUGIN_DIR ", " SIGNET_TEST_SCRIPTED_DIR "]\n"
        "  ca:\n"
        "    scripted: {plugin: ca-scripted}\n"
        "  notifier:\n"
        "    events: {plugin: notify-jsonl, config: {path: " + dir_.file("events.jsonl") + "}}\n"
        "pipelines:\n"
        "  issue: {validate: [profile-policy], sign: scripted, notify: [events]}\n"));
    token_ = bootstrap_token(dir_, config_);
    ASSERT_FALSE(token_.empty());
    csr_ = make_csr(dir_, "app.example.com", "DNS:app.example.com");
    ASSERT_FALSE(csr_.empty());
  }

  std::unique_ptr<SignetProcess> start() {
    auto host = std::make_unique<SignetProcess>(std::vector<std::string>{"serve", "--config", config_},
                                                dir_.file("host.log"));
    EXPECT_TRUE(host->started()) << host->log();
    return host;
  }

  signet::HttpResponse issue(SignetProcess& host, const nlohmann::json& script) {
    const nlohmann::json body = {{"common_name", "app.example.com"}, {"csr", csr_},
                                 {"sans", {{"dns", {"app.example.com"}}}}, {"metadata", {{"script", script}}}};
    auto response = http("POST", host.url() + "/v1/certificates", body.dump(), token_, ca());
    EXPECT_TRUE(response) << (response ? "" : response.error().message);
    return response ? response.value() : signet::HttpResponse{};
  }

  nlohmann::json request(SignetProcess& host, const std::string& id) {
    auto response = http("GET", host.url() + "/v1/requests/" + id, "", token_, ca());
    return response ? json_of(response.value()) : nlohmann::json::object();
  }

  // Polls until the request is final or 30 s pass.
  nlohmann::json wait_final(SignetProcess& host, const std::string& id) {
    nlohmann::json r;
    for (int i = 0; i < 300; ++i) {
      r = request(host, id);
      if (r.value("status", "") == "succeeded" || r.value("status", "") == "failed") return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  int events_now(const std::string& request_id) {
    int count = 0;
    const std::string text = read_file(dir_.file("events.jsonl"));
    for (std::size_t at = text.find(request_id); at != std::string::npos; at = text.find(request_id, at + 1)) ++count;
    return count;
  }

  // Events are delivered from the outbox after the request ends: waits up
  // to 10 s for the first, then half a second more for a duplicate.
  int events_for(const std::string& request_id) {
    for (int i = 0; i < 100 && events_now(request_id) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return events_now(request_id);
  }

  std::string ca() const { return dir_.path() + "/data/ca.pem"; }

  TempDir dir_;
  std::string config_, token_, csr_;
};

TEST_F(PipelineTest, FinishesWithinTheRequestAnd201) {
  auto host = start();
  const auto response = issue(*host, {"done"});
  ASSERT_EQ(response.status, 201) << response.body;
  const auto body = json_of(response);
  EXPECT_EQ(body["status"], "active");
  EXPECT_EQ(body["common_name"], "app.example.com");
  EXPECT_EQ(body["serial"].get<std::string>().size(), 32u);
  EXPECT_NE(body["certificate"].get<std::string>().find("BEGIN CERTIFICATE"), std::string::npos);
  // ca-scripted's root issues directly, and a chain leaves the root out.
  EXPECT_TRUE(body["chain"].empty()) << body["chain"];
  const auto r = request(*host, body["request_id"]);
  EXPECT_EQ(r["status"], "succeeded");
  EXPECT_EQ(r["certificate_id"], body["id"]);
  EXPECT_EQ(events_for(body["request_id"]), 1);
}

TEST_F(PipelineTest, WaitsOnATicketThenFinishes) {
  auto host = start();
  const auto response = issue(*host, {"pending:1", "done"});
  ASSERT_EQ(response.status, 202) << response.body;
  const std::string id = json_of(response)["request_id"];
  EXPECT_EQ(request(*host, id)["status"], "waiting");
  const auto final_state = wait_final(*host, id);
  EXPECT_EQ(final_state["status"], "succeeded") << final_state.dump();
}

TEST_F(PipelineTest, RetriesATransientFailure) {
  auto host = start();
  const auto response = issue(*host, {"fail_retry", "fail_retry", "done"});
  ASSERT_EQ(response.status, 202) << response.body;
  const std::string id = json_of(response)["request_id"];
  const auto pending = request(*host, id);
  EXPECT_EQ(pending["error"]["code"], "unavailable") << pending.dump();
  const auto final_state = wait_final(*host, id);
  EXPECT_EQ(final_state["status"], "succeeded") << final_state.dump();
  EXPECT_EQ(final_state["attempts"], 0);
}

TEST_F(PipelineTest, AFinalFailureIsReportedWithItsCode) {
  auto host = start();
  const auto response = issue(*host, {"fail"});
  EXPECT_EQ(response.status, 422) << response.body;
  EXPECT_EQ(json_of(response)["error"]["code"], "rejected");
}

TEST_F(PipelineTest, AnExceptionInAPluginFailsTheRequestNotTheHost) {
  auto host = start();
  const auto response = issue(*host, {"throw"});
  EXPECT_EQ(response.status, 500) << response.body;
  EXPECT_NE(json_of(response)["error"]["message"].get<std::string>().find("scripted exception"), std::string::npos);
  auto health = http("GET", host->url() + "/health", "", "", ca());
  ASSERT_TRUE(health);
  EXPECT_EQ(health.value().status, 200);
}

TEST_F(PipelineTest, BadInputIsRefusedBeforeAnythingIsStored) {
  auto host = start();
  auto post = [&](const std::string& body) {
    auto r = http("POST", host->url() + "/v1/certificates", body, token_, ca());
    EXPECT_TRUE(r);
    return r ? r.value() : signet::HttpResponse{};
  };
  auto code = [](const signet::HttpResponse& r) { return json_of(r)["error"]["code"].get<std::string>(); };
  const auto not_json = post("{not json");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(code(not_json), "invalid_json");
  const auto outside = post(nlohmann::json{{"common_name", "app.example.com"}, {"csr", csr_},
                                           {"sans", {{"dns", {"evil.org"}}}}}.dump());
  EXPECT_EQ(outside.status, 400);
  EXPECT_EQ(code(outside), "san_not_allowed");
  EXPECT_EQ(json_of(outside)["error"]["message"], "SAN evil.org is outside profile default");
  const auto bad_csr = post(nlohmann::json{{"common_name", "app.example.com"}, {"csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}}.dump());
  EXPECT_EQ(bad_csr.status, 400);
  EXPECT_EQ(code(bad_csr), "invalid_csr");
  const auto profile = post(nlohmann::json{{"profile", "nope"}, {"csr", csr_}}.dump());
  EXPECT_EQ(profile.status, 400);
  EXPECT_EQ(code(profile), "unknown_profile");
  EXPECT_EQ(query_database(dir_, dir_.path() + "/data/signet.db", "SELECT COUNT(*) FROM requests").output, "0\n");
}

TEST_F(PipelineTest, ResumesAfterSigkillInTheMiddleOfAStep) {
  std::string id;
  {
    auto host = start();
    // The CA call takes 3 s; the POST answers 202 after the 1 s budget...
    const auto response = issue(*host, {"sleep:3000"});
    ASSERT_EQ(response.status, 202) << response.body;
    id = json_of(response)["request_id"];
    EXPECT_EQ(request(*host, id)["status"], "running");
    host->kill_hard();  // ...and the host dies while the CA is still working.
  }
  auto host = start();
  const auto final_state = wait_final(*host, id);
  EXPECT_EQ(final_state["status"], "succeeded") << final_state.dump() << host->log();
  EXPECT_FALSE(final_state["certificate_id"].is_null());
  EXPECT_EQ(events_for(id), 1);
}

TEST_F(PipelineTest, ResumesAfterSigkillWhileWaitingOnATicket) {
  std::string id;
  {
    auto host = start();
    const auto response = issue(*host, {"pending:2", "done"});
    ASSERT_EQ(response.status, 202) << response.body;
    id = json_of(response)["request_id"];
    host->kill_hard();
  }
  auto host = start();
  const auto final_state = wait_final(*host, id);
  EXPECT_EQ(final_state["status"], "succeeded") << final_state.dump();
}

}  // namespace
}  // namespace signet::test
