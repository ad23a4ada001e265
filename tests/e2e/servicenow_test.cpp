// ServiceNow end to end (issue 23), with the real signet binary, the
// internal CA and notify-servicenow against the ServiceNow stand-in
// (tests/doubles/servicenow; no real instance is reachable here): push
// intake deduplicated by external reference, approvals, the ticket written
// back (work note, PEM attachment, task closed, correlation), pull intake
// shared by two hosts, expiry incidents, token expiry, 429 and an outage.
#include <ctime>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"
#include "servicenow_double.hpp"

namespace signet::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kCatalogItem = "0123456789abcdef0123456789abcdef";

// "2026-12-07T10:00:00Z" as seconds since the epoch.
long long seconds_of(const std::string& rfc3339) {
  std::tm tm{};
  if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return static_cast<long long>(timegm(&tm));
}

struct Options {
  std::string profiles;       // more profiles (indented under profiles:)
  std::string plugin_config;  // more notify-servicenow config lines (8 spaces)
  std::string top;            // more top-level sections
};

class ServiceNow : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(double_.started()) << double_.log(); }

  void configure(const Options& o = {}) {
    const std::string extra =
        o.profiles + internal_ca_plugins(dir_, "        bootstrap: true\n") +
        "  store:\n"
        "    local: {plugin: store-local, config: {path: " + dir_.path() + "/data/store.db, master_key: "
        "{file: " + dir_.path() + "/data/store.key, create: true}}}\n"
        "  notifier:\n"
        "    servicenow:\n"
        "      plugin: notify-servicenow\n"
        "      config:\n"
        "        instance_url: " + double_.url() + "\n"
        "        auth: {type: oauth, grant: client_credentials, client_id: signet-client, client_secret: '${env:SN_SECRET}'}\n"
        "        timeout_seconds: 5\n" + o.plugin_config +
        "pipelines:\n"
        "  issue: {validate: [profile-policy], sign: corp, store: local, notify: [servicenow]}\n"
        "  renew: {validate: [profile-policy], sign: corp, store: local, notify: [servicenow]}\n"
        "  revoke: {notify: [servicenow]}\n"
        "notifications: {poll_interval: 100ms, retry: {initial: 200ms, max: 1s}}\n" + o.top;
    setenv("SN_SECRET", "signet-secret", 1);
    config_ = dir_.write("signet.yaml", host_config(dir_, extra));
    admin_ = bootstrap_token(dir_, config_);
    ASSERT_FALSE(admin_.empty()) << run_signet(dir_, "config check " + config_).err;
  }

  SignetProcess& start_host(const std::string& name = "host", bool test_clock = false) {
    std::vector<std::string> args{"serve", "--config", config_};
    if (test_clock) args.push_back("--test-clock");
    hosts_.push_back(std::make_unique<SignetProcess>(args, dir_.file(name + ".log")));
    EXPECT_TRUE(hosts_.back()->started()) << hosts_.back()->log();
    return *hosts_.back();
  }

  struct Answer {
    int status = 0;
    json body;
    std::string replayed;
  };
  Answer call(SignetProcess& host, const std::string& method, const std::string& path, const json& body = nullptr,
              const std::string& token = "") {
    auto r = http(method, host.url() + path, body.is_null() ? "" : body.dump(), token.empty() ? admin_ : token,
                  dir_.file("data/ca.pem"));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return {r->status, json_of(r.value()), r->header("idempotent-replayed")};
  }

  std::string token_with(SignetProcess& host, const std::string& role) {
    const Answer made = call(host, "POST", "/v1/tokens", {{"roles", {role}}});
    EXPECT_EQ(made.status, 201) << made.body.dump();
    return made.body.value("token", "");
  }

  // A catalogue request item with one open catalogue task, as a flow leaves it.
  struct Ticket {
    std::string ritm, number, task;
  };
  Ticket ticket(const json& fields = json::object()) {
    json ritm = {{"short_description", "TLS certificate"}, {"cat_item", kCatalogItem}};
    ritm.update(fields);
    const json answer = double_.table("POST", "/api/now/table/sc_req_item", ritm);
    EXPECT_TRUE(answer.is_object()) << answer.dump() << double_.log();
    if (!answer.is_object()) return {};
    const json made = answer["result"];
    const json task = double_.table("POST", "/api/now/table/sc_task",
                                    {{"request_item", made["sys_id"]}, {"short_description", "Issue the certificate"}})["result"];
    return {made.value("sys_id", ""), made.value("number", ""), task.value("sys_id", "")};
  }
  static json ref_of(const Ticket& t) { return {{"system", "servicenow"}, {"id", t.ritm}, {"number", t.number}}; }

  // Notifications of `type` for the request until `done` holds for the servicenow one, or `seconds` pass.
  template <class Done>
  json notification(SignetProcess& host, const std::string& query, const std::string& request_id, int seconds, Done done) {
    json found;
    for (int i = 0; i < seconds * 10; ++i) {
      for (const auto& n : call(host, "GET", "/v1/notifications?notifier=servicenow&" + query).body.value("items", json::array()))
        if (n.value("request_id", "") == request_id) found = n;
      if (found.is_object() && done(found)) break;
      std::this_thread::sleep_for(100ms);
    }
    return found;
  }
  json delivered(SignetProcess& host, const std::string& query, const std::string& request_id, int seconds = 20) {
    return notification(host, query, request_id, seconds, [](const json& n) { return n.value("status", "") == "delivered"; });
  }

  // Journal rows of a record that carry `text`.
  int notes_with(const std::string& sys_id, const std::string& text) {
    int count = 0;
    for (const auto& row : double_.journal(sys_id).value("result", json::array()))
      if (row.value("value", "").find(text) != std::string::npos) ++count;
    return count;
  }
  json attachments(const std::string& sys_id) {
    return double_.table("GET", "/api/now/attachment?sysparm_query=table_sys_id=" + sys_id).value("result", json::array());
  }
  json record(const std::string& table, const std::string& sys_id) {
    return double_.table("GET", "/api/now/table/" + table + "/" + sys_id + "?sysparm_exclude_reference_link=true")["result"];
  }
  std::string attachment_text(const json& attachment) {
    const auto r = run_command("curl -s -u signet.integration:integration-password '" + double_.url() +
                               "/api/now/attachment/" + attachment.value("sys_id", "") + "/file'");
    return r.output;
  }

  TempDir dir_;
  ServiceNowDouble double_;
  std::string config_, admin_;
  std::vector<std::unique_ptr<SignetProcess>> hosts_;
};

TEST_F(ServiceNow, PushIntakeTwiceMakesOneRequestAndTheTicketIsWrittenBack) {
  ASSERT_NO_FATAL_FAILURE(configure({"", "        cmdb: {enabled: true}\n"}));
  SignetProcess& host = start_host();
  const Ticket t = ticket();
  const json body = {{"common_name", "app.example.com"}, {"sans", {{"dns", {"app.example.com"}}}},
                     {"key", {{"type", "ecdsa"}}}, {"external_ref", ref_of(t)}};
  const Answer first = call(host, "POST", "/v1/certificates", body);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  for (const char* field : {"request_id", "certificate_id", "serial_number", "expiration", "download_url", "private_key"})
    EXPECT_TRUE(first.body.contains(field) && !first.body[field].get<std::string>().empty()) << field << first.body.dump();
  EXPECT_EQ(first.body["expiration"], first.body["not_after"]);
  EXPECT_EQ(first.body["download_url"], "https://127.0.0.1:0/v1/certificates/" + first.body.value("certificate_id", "") +
                                            "/bundle?format=pem");

  // The flow timed out and tried again: the first request comes back, its key not again.
  const Answer again = call(host, "POST", "/v1/certificates", body);
  ASSERT_EQ(again.status, 201) << again.body.dump();
  EXPECT_EQ(again.replayed, "true");
  EXPECT_EQ(again.body["request_id"], first.body["request_id"]);
  EXPECT_EQ(again.body["certificate_id"], first.body["certificate_id"]);
  EXPECT_EQ(again.body["serial_number"], first.body["serial_number"]);
  EXPECT_FALSE(again.body.contains("private_key"));
  EXPECT_EQ(again.body["private_key_delivered"], true);
  EXPECT_EQ(call(host, "GET", "/v1/certificates?limit=100").body["items"].size(), 1u);

  const std::string request_id = first.body["request_id"], serial = first.body["serial_number"];
  const json n = delivered(host, "type=issued", request_id);
  ASSERT_EQ(n.value("status", ""), "delivered") << n.dump() << host.log() << double_.log();
  // Work note with serial, expiry, issuer and the download URL, once.
  const auto notes = double_.journal(t.ritm).value("result", json::array());
  ASSERT_EQ(notes.size(), 1u) << notes.dump();
  const std::string note = notes[0].value("value", "");
  EXPECT_EQ(notes[0]["element"], "work_notes");
  for (const std::string& part : {serial, first.body.value("expiration", ""), first.body.value("download_url", ""),
                                  std::string("CN=Signet Issuing CA"), n.value("event_id", "")})
    EXPECT_NE(note.find(part), std::string::npos) << part << "\n" << note;
  // The certificate and its chain attached as PEM, no key; it verifies against the chain.
  const json files = attachments(t.ritm);
  ASSERT_EQ(files.size(), 1u) << files.dump();
  const std::string pem = attachment_text(files[0]);
  EXPECT_EQ(pem.find("PRIVATE KEY"), std::string::npos);
  const json cert = call(host, "GET", "/v1/certificates/" + first.body.value("certificate_id", "")).body;
  EXPECT_EQ(pem.rfind(cert.value("certificate", ""), 0), 0u) << pem;
  std::string chain;
  for (const auto& c : cert["chain"]) chain += c.get<std::string>();
  EXPECT_NE(pem.find(chain), std::string::npos) << pem;
  // The issuing CA the chain starts with signed the attached certificate.
  const std::string leaf_file = dir_.write("leaf.pem", pem.substr(0, pem.find("-----END CERTIFICATE-----") + 26)),
                    chain_file = dir_.write("chain.pem", chain);
  const auto verified = run_command("openssl verify -partial_chain -CAfile " + chain_file + " " + leaf_file);
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_NE(verified.output.find(leaf_file + ": OK"), std::string::npos) << verified.output;
  // The catalogue task closed complete, the item closed by Task Closer, correlated with the request.
  EXPECT_EQ(record("sc_task", t.task)["state"], "3");
  const json ritm = record("sc_req_item", t.ritm);
  EXPECT_EQ(ritm["state"], "3") << ritm.dump();
  EXPECT_EQ(ritm["correlation_id"], request_id);
  EXPECT_EQ(ritm["correlation_display"], "Signet");
  // One configuration item, found again by its stable key, with the mapped fields.
  const json items = double_.rows("cmdb_ci_certificate", "correlation_id=signet:" + first.body.value("certificate_id", ""));
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["serial_number"], serial);
  EXPECT_EQ(items[0]["name"], "app.example.com");
  EXPECT_EQ(items[0]["fingerprint"], n["data"].value("fingerprint_sha256", "")) << items.dump();
  EXPECT_EQ(items[0]["valid_to"].get<std::string>().substr(0, 10), first.body.value("expiration", "").substr(0, 10));

  // Revocation adds a note to the original ticket.
  const Answer revoked = call(host, "POST", "/v1/certificates/" + first.body.value("certificate_id", "") + "/revoke",
                              {{"reason", "superseded"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
  for (int i = 0; i < 100 && notes_with(t.ritm, "superseded") == 0; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(notes_with(t.ritm, "superseded"), 1) << double_.journal(t.ritm).dump();
}

TEST_F(ServiceNow, ApprovalWaitsRefusesSelfApprovalAndRejectionReachesTheTicket) {
  ASSERT_NO_FATAL_FAILURE(configure({"  gated:\n"
                                     "    dns: {allowed_suffixes: [.example.com]}\n"
                                     "    approval: {required: true, approvers: [pki_admin], expires_after: 1h}\n"}));
  SignetProcess& host = start_host();
  const std::string requester = token_with(host, "pki_admin"), approver = token_with(host, "pki_admin"),
                    manager = token_with(host, "cert_manager");
  const Ticket t = ticket();
  const json body = {{"profile", "gated"}, {"common_name", "gated.example.com"}, {"sans", {{"dns", {"gated.example.com"}}}},
                     {"key", {{"type", "ecdsa"}}}, {"external_ref", ref_of(t)}};
  const Answer held = call(host, "POST", "/v1/certificates", body, requester);
  ASSERT_EQ(held.status, 202) << held.body.dump();
  EXPECT_EQ(held.body["status"], "pending_approval");
  const std::string id = held.body.value("request_id", "");
  EXPECT_EQ(call(host, "GET", "/v1/requests/" + id).body["status"], "pending_approval");
  // What waits for approvers, as they find it.
  const json waiting = call(host, "GET", "/v1/requests?status=pending_approval", nullptr, approver).body;
  ASSERT_EQ(waiting["items"].size(), 1u) << waiting.dump();
  EXPECT_EQ(waiting["items"][0]["request_id"], id);
  EXPECT_EQ(waiting["items"][0]["external_ref"]["number"], t.number);
  EXPECT_EQ(call(host, "GET", "/v1/requests?status=held").status, 400);

  const Answer self = call(host, "POST", "/v1/requests/" + id + "/approve", json::object(), requester);
  EXPECT_EQ(self.status, 403) << self.body.dump();
  EXPECT_EQ(self.body["error"]["code"], "self_approval_not_allowed");
  EXPECT_EQ(call(host, "POST", "/v1/requests/" + id + "/approve", json::object(), manager).status, 403);
  EXPECT_EQ(call(host, "GET", "/v1/requests/" + id).body["status"], "pending_approval");

  const Answer approved = call(host, "POST", "/v1/requests/" + id + "/approve", {{"comment", "ok for prod"}}, approver);
  ASSERT_EQ(approved.status, 200) << approved.body.dump();
  EXPECT_EQ(approved.body["status"], "succeeded") << approved.body.dump();
  EXPECT_EQ(approved.body["approval"]["outcome"], "approved");
  ASSERT_EQ(approved.body["approval"]["decisions"].size(), 1u);
  EXPECT_EQ(call(host, "POST", "/v1/requests/" + id + "/approve", json::object(), approver).status, 409);
  EXPECT_EQ(delivered(host, "type=issued", id).value("status", ""), "delivered") << host.log();
  EXPECT_EQ(attachments(t.ritm).size(), 1u);

  // A rejection fails the request with the comment, on the ticket too.
  const Ticket other = ticket();
  json second = body;
  second["common_name"] = "other.example.com";
  second["sans"]["dns"] = {"other.example.com"};
  second["external_ref"] = ref_of(other);
  const std::string rejected_id = call(host, "POST", "/v1/certificates", second, requester).body.value("request_id", "");
  EXPECT_EQ(call(host, "POST", "/v1/requests/" + rejected_id + "/reject", json::object(), approver).status, 400);
  const Answer rejected = call(host, "POST", "/v1/requests/" + rejected_id + "/reject",
                               {{"comment", "not for production"}}, approver);
  ASSERT_EQ(rejected.status, 200) << rejected.body.dump();
  EXPECT_EQ(rejected.body["status"], "failed");
  EXPECT_EQ(rejected.body["error"]["code"], "rejected");
  EXPECT_NE(rejected.body["error"].value("message", "").find("not for production"), std::string::npos);
  EXPECT_EQ(delivered(host, "type=failed", rejected_id).value("status", ""), "delivered") << host.log();
  EXPECT_EQ(notes_with(other.ritm, "not for production"), 1) << double_.journal(other.ritm).dump();
  EXPECT_EQ(record("sc_task", other.task)["state"], "4");
  EXPECT_TRUE(attachments(other.ritm).empty());
  // From a shell: signet request approve.
  const Ticket third = ticket();
  second["common_name"] = "third.example.com";
  second["sans"]["dns"] = {"third.example.com"};
  second["external_ref"] = ref_of(third);
  const std::string third_id = call(host, "POST", "/v1/certificates", second, requester).body.value("request_id", "");
  const std::string env = "SIGNET_ADDR=" + host.url() + " SIGNET_TOKEN=" + approver + " SIGNET_CACERT=" + dir_.file("data/ca.pem") + " ";
  const auto listed = run_command(env + binary_path() + " request list --status pending_approval 2>&1");
  EXPECT_EQ(listed.status, 0) << listed.output;
  EXPECT_NE(listed.output.find(third_id + " pending_approval approvals 0/1"), std::string::npos) << listed.output;
  const auto cli = run_command(env + binary_path() + " request approve " + third_id + " --comment 'looks right' 2>&1");
  EXPECT_EQ(cli.status, 0) << cli.output;
  EXPECT_NE(cli.output.find(third_id + " succeeded certificate crt_"), std::string::npos) << cli.output;
  const auto no_comment = run_command(binary_path() + " request reject " + third_id + " 2>&1");
  EXPECT_EQ(no_comment.status, 2) << no_comment.output;
  // Both decisions are audit records.
  const json audit = call(host, "GET", "/v1/audit?object=" + rejected_id).body;
  bool found = false;
  for (const auto& r : audit.value("items", json::array())) found = found || r.value("action", "") == "request.reject";
  EXPECT_TRUE(found) << audit.dump();
}

TEST_F(ServiceNow, ApprovalFromServiceNowIsReadThereAndAnUnansweredOneExpires) {
  ASSERT_NO_FATAL_FAILURE(configure({"  itsm:\n"
                                     "    dns: {allowed_suffixes: [.example.com]}\n"
                                     "    approval: {from: servicenow}\n"
                                     "  brief:\n"
                                     "    dns: {allowed_suffixes: [.example.com]}\n"
                                     "    approval: {required: true, expires_after: 1s}\n"
                                     "  two:\n"
                                     "    dns: {allowed_suffixes: [.example.com]}\n"
                                     "    approval: {required: true, min_approvals: 2}\n"}));
  SignetProcess& host = start_host();
  const Ticket t = ticket({{"approval", "requested"}});
  json body = {{"profile", "itsm"}, {"common_name", "itsm.example.com"}, {"key", {{"type", "ecdsa"}}},
               {"external_ref", ref_of(t)}};
  // The flow says approved; ServiceNow does not: ServiceNow is asked, not the flow.
  body["external_ref"]["approval"] = "approved";
  const Answer refused = call(host, "POST", "/v1/certificates", body);
  EXPECT_EQ(refused.status, 403) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "approval_required");
  EXPECT_NE(refused.body["error"].value("message", "").find(t.number), std::string::npos) << refused.body.dump();
  double_.table("PATCH", "/api/now/table/sc_req_item/" + t.ritm, {{"approval", "approved"}});
  const Answer issued = call(host, "POST", "/v1/certificates", body);
  ASSERT_EQ(issued.status, 201) << issued.body.dump();
  EXPECT_EQ(call(host, "GET", "/v1/requests/" + issued.body.value("request_id", "")).body["approval"]["from"], "servicenow");
  const Answer without_ticket = call(host, "POST", "/v1/certificates", {{"profile", "itsm"}, {"common_name", "x.example.com"},
                                                                       {"key", {{"type", "ecdsa"}}}});
  EXPECT_EQ(without_ticket.status, 403) << without_ticket.body.dump();

  // Nobody decides within expires_after: the request fails as approval_expired.
  const Answer held = call(host, "POST", "/v1/certificates",
                           {{"profile", "brief"}, {"common_name", "brief.example.com"}, {"key", {{"type", "ecdsa"}}}});
  ASSERT_EQ(held.status, 202) << held.body.dump();
  json q;
  for (int i = 0; i < 50; ++i) {
    q = call(host, "GET", "/v1/requests/" + held.body.value("request_id", "")).body;
    if (q.value("status", "") == "failed") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(q["status"], "failed") << q.dump();
  EXPECT_EQ(q["error"]["code"], "approval_expired") << q.dump();

  // Two approvals needed: the first is counted, the second runs it.
  const Answer two = call(host, "POST", "/v1/certificates",
                          {{"profile", "two"}, {"common_name", "two.example.com"}, {"key", {{"type", "ecdsa"}}}});
  ASSERT_EQ(two.status, 202) << two.body.dump();
  const std::string path = "/v1/requests/" + two.body.value("request_id", "") + "/approve";
  const Answer once = call(host, "POST", path, json::object(), token_with(host, "pki_admin"));
  EXPECT_EQ(once.body["status"], "pending_approval") << once.body.dump();
  EXPECT_EQ(once.body["approval"]["decisions"].size(), 1u);
  const Answer twice = call(host, "POST", path, json::object(), token_with(host, "pki_admin"));
  EXPECT_EQ(twice.body["status"], "succeeded") << twice.body.dump();
  EXPECT_EQ(twice.body["approval"]["decisions"].size(), 2u);
}

TEST_F(ServiceNow, PullIntakeOnTwoHostsMakesOneRequestPerRitm) {
  ASSERT_NO_FATAL_FAILURE(configure({"", std::string("        intake: {enabled: true, catalog_items: [") + kCatalogItem + "]}\n",
                                     "intake: {poll_interval: 200ms}\n"}));
  std::vector<Ticket> tickets;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "pull" + std::to_string(i) + ".example.com";
    tickets.push_back(ticket({{"approval", "approved"}, {"state", "1"},
                              {"variables", {{"common_name", name}, {"san_dns", name}, {"validity", "30d"}}}}));
  }
  const Ticket waiting = ticket({{"approval", "requested"}, {"variables", {{"common_name", "wait.example.com"}}}});
  const Ticket refused = ticket({{"approval", "approved"}, {"variables", {{"common_name", "evil.example.org"}, {"san_dns", "evil.example.org"}}}});
  SignetProcess& a = start_host("a");
  start_host("b");

  std::set<std::string> requests;
  for (int i = 0; i < 150; ++i) {
    requests.clear();
    for (const auto& t : tickets) requests.insert(record("sc_req_item", t.ritm).value("correlation_id", ""));
    if (!requests.count("") && record("sc_req_item", refused.ritm).value("correlation_id", "") != "") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(requests.size(), tickets.size());
  EXPECT_FALSE(requests.count(""));
  std::this_thread::sleep_for(1s);  // more rounds on both hosts change nothing
  EXPECT_EQ(call(a, "GET", "/v1/certificates?limit=100").body["items"].size(), tickets.size());
  for (const auto& t : tickets) {
    const std::string id = record("sc_req_item", t.ritm).value("correlation_id", "");
    const json q = call(a, "GET", "/v1/requests/" + id).body;
    EXPECT_EQ(q["external_ref"]["id"], t.ritm) << q.dump();
    EXPECT_EQ(delivered(a, "type=issued", id).value("status", ""), "delivered");
    EXPECT_EQ(attachments(t.ritm).size(), 1u);
    EXPECT_EQ(notes_with(t.ritm, "Signet took this request"), 1) << double_.journal(t.ritm).dump();
  }
  EXPECT_EQ(record("sc_req_item", waiting.ritm).value("correlation_id", ""), "");
  EXPECT_EQ(record("sc_req_item", refused.ritm).value("correlation_id", ""), "signet-refused");
  EXPECT_EQ(notes_with(refused.ritm, "san_not_allowed"), 1) << double_.journal(refused.ritm).dump();
  EXPECT_EQ(record("sc_task", refused.task)["state"], "4");
}

TEST_F(ServiceNow, ExpiryOpensOneIncidentAcrossThreeWarningsAndRenewalResolvesIt) {
  ASSERT_NO_FATAL_FAILURE(configure({"", "        incidents: {enabled: true}\n",
                                     "lifecycle: {expiry_warnings: [30d, 7d, 1d]}\n"}));
  SignetProcess& host = start_host("host", true);
  const Answer issued = call(host, "POST", "/v1/certificates",
                             {{"common_name", "exp.example.com"}, {"ttl", "60d"}, {"key", {{"type", "ecdsa"}}}});
  ASSERT_EQ(issued.status, 201) << issued.body.dump();
  const std::string id = issued.body["id"];
  const std::string query = "correlation_id=signet-expiry:" + id;
  auto incidents = [&] { return double_.rows("incident", query); };
  auto wait_notes = [&](const std::string& sys_id, std::size_t count) {
    for (int i = 0; i < 100 && double_.journal(sys_id).value("result", json::array()).size() < count; ++i)
      std::this_thread::sleep_for(100ms);
    return double_.journal(sys_id).value("result", json::array()).size();
  };
  std::size_t warnings = 0;
  for (const char* step : {"31d", "23d", "5d12h"}) {
    ASSERT_EQ(call(host, "POST", "/v1/test/clock", {{"advance", step}}).status, 200);
    for (int i = 0; i < 100 && incidents().empty(); ++i) std::this_thread::sleep_for(100ms);
    ASSERT_EQ(incidents().size(), 1u) << step << host.log();
    // One note per warning on the one incident (warnings are days apart, as here).
    const std::string incident_id = incidents()[0].value("sys_id", "");
    EXPECT_EQ(wait_notes(incident_id, ++warnings), warnings) << step << double_.journal(incident_id).dump();
  }
  // The last warning's urgency follows its note.
  for (int i = 0; i < 50 && incidents()[0].value("urgency", "") != "1"; ++i) std::this_thread::sleep_for(100ms);
  const json incident = incidents()[0];
  EXPECT_EQ(incident["urgency"], "1") << incident.dump();  // raised to the 1d warning's
  EXPECT_EQ(incident["active"], "true");

  const Answer renewed = call(host, "POST", "/v1/certificates/" + id + "/renew", json::object());
  ASSERT_EQ(renewed.status, 201) << renewed.body.dump();
  for (int i = 0; i < 100 && incidents()[0].value("state", "") != "6"; ++i) std::this_thread::sleep_for(100ms);
  const json resolved = incidents();
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["state"], "6") << resolved.dump();
  EXPECT_NE(resolved[0].value("close_notes", "").find(renewed.body.value("id", "")), std::string::npos) << resolved.dump();
}

TEST_F(ServiceNow, TokenExpiryRateLimitsAndAnOutageLoseNothingAndDuplicateNothing) {
  ASSERT_NO_FATAL_FAILURE(configure());
  SignetProcess& host = start_host();
  auto issue = [&](const Ticket& t, const std::string& name) {
    const Answer a = call(host, "POST", "/v1/certificates",
                          {{"common_name", name}, {"key", {{"type", "ecdsa"}}}, {"external_ref", ref_of(t)}});
    EXPECT_EQ(a.status, 201) << a.body.dump();
    return a.body.value("request_id", "");
  };
  auto exactly_once = [&](const Ticket& t, const json& n) {
    EXPECT_EQ(n.value("status", ""), "delivered") << n.dump() << host.log() << double_.log();
    EXPECT_EQ(notes_with(t.ritm, n.value("event_id", "")), 1) << double_.journal(t.ritm).dump();
    EXPECT_EQ(attachments(t.ritm).size(), 1u);
    EXPECT_EQ(record("sc_task", t.task)["state"], "3");
  };
  const Ticket first = ticket();
  exactly_once(first, delivered(host, "type=issued", issue(first, "one.example.com")));

  // Every token expires: the next delivery gets a 401, fetches one new token and goes on.
  const int tokens_before = double_.stats()["tokens_issued"].value("client_credentials", 0);
  double_.control("POST", "/_double/expire-tokens", json::object());
  const Ticket second = ticket();
  exactly_once(second, delivered(host, "type=issued", issue(second, "two.example.com")));
  EXPECT_EQ(double_.stats()["tokens_issued"].value("client_credentials", 0), tokens_before + 1);
  EXPECT_GE(double_.stats().value("status_401", 0), 1);

  // A 429 with Retry-After is waited out; an answer lost after the attachment was stored is not stored twice.
  double_.control("POST", "/_double/faults",
                  json::array({{{"path_prefix", "/api/now/table/sc_req_item"}, {"method", "PATCH"}, {"kind", "status"},
                                {"status", 429}, {"retry_after", 3}, {"count", 1}},
                               {{"path_prefix", "/api/now/attachment/file"}, {"method", "POST"}, {"kind", "lost"}, {"count", 1}}}));
  const Ticket third = ticket();
  const std::string third_id = issue(third, "three.example.com");
  // The 429's Retry-After (3 s) is waited out in full, past notifications.retry.max (1 s).
  const json limited = notification(host, "type=issued", third_id, 10, [](const json& n) { return n.value("attempts", 0) >= 1; });
  ASSERT_EQ(limited.value("status", ""), "pending") << limited.dump();
  EXPECT_GE(seconds_of(limited.value("next_attempt_at", "")) - seconds_of(limited.value("last_attempt_at", "")), 3)
      << limited.dump();
  const json third_n = delivered(host, "type=issued", third_id);
  exactly_once(third, third_n);
  EXPECT_GE(third_n.value("attempts", 0), 2) << third_n.dump();
  EXPECT_GE(double_.stats().value("status_429", 0), 1);

  // The instance goes away mid-run and comes back: delivered once, nothing lost.
  const int port = double_.port();
  const Ticket t4 = ticket();  // the ticket exists; then the instance is gone while Signet delivers
  double_.stop();
  const std::string fourth_id = issue(t4, "four.example.com");
  const json waiting = notification(host, "type=issued", fourth_id, 10, [](const json& n) { return n.value("attempts", 0) >= 2; });
  EXPECT_EQ(waiting.value("status", ""), "pending") << waiting.dump();
  ASSERT_TRUE(double_.start(port)) << double_.log();
  exactly_once(t4, delivered(host, "type=issued", fourth_id, 30));

  // Killed in the middle of a delivery (the note written, the attachment
  // under way) and started again: the delivery finishes, nothing twice.
  double_.control("POST", "/_double/faults",
                  {{"path_prefix", "/api/now/attachment/file"}, {"method", "POST"}, {"kind", "delay"}, {"seconds", 5}, {"count", 1}});
  const Ticket t5 = ticket();
  const std::string fifth_id = issue(t5, "five.example.com");
  for (int i = 0; i < 50 && double_.journal(t5.ritm).value("result", json::array()).empty(); ++i) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(double_.journal(t5.ritm).value("result", json::array()).size(), 1u);
  double_.kill();
  ASSERT_TRUE(double_.start(port)) << double_.log();
  exactly_once(t5, delivered(host, "type=issued", fifth_id, 30));

  // A refusal (403 on updating the item) is final: failed, with ServiceNow's message.
  const Ticket t6 = ticket();
  double_.control("POST", "/_double/faults",
                  {{"path_prefix", "/api/now/table/sc_req_item"}, {"method", "PATCH"}, {"kind", "status"}, {"status", 403},
                   {"message", "ACL Exception Update Failed due to security constraints"}, {"count", 1}});
  const std::string sixth_id = issue(t6, "six.example.com");
  const json failed = notification(host, "type=issued", sixth_id, 20, [](const json& n) { return n.value("status", "") == "failed"; });
  EXPECT_EQ(failed.value("status", ""), "failed") << failed.dump();
  EXPECT_EQ(failed.value("attempts", 0), 1) << failed.dump();
  EXPECT_NE(failed.value("reason", "").find("ACL Exception Update Failed"), std::string::npos) << failed.dump();

  // The OAuth client secret and the tokens made from it appear nowhere Signet writes.
  EXPECT_EQ(host.log().find("signet-secret"), std::string::npos);
  EXPECT_EQ(host.log().find("Bearer"), std::string::npos);
  const json all = call(host, "GET", "/v1/notifications?limit=1000").body;
  EXPECT_EQ(all.dump().find("signet-secret"), std::string::npos);
}

}  // namespace
}  // namespace signet::test
