// The secrets API through the real binary: versions and check-and-set,
// tenants that cannot see each other's secrets, applications that reach
// only their own folder, deletion and destruction of versions, every access
// audited without the value, and a rotation policy that raises an event.
#include <set>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class Secrets : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host_.started()) << host_.log();
    ASSERT_EQ(call("POST", "/v1/tenants", admin(), {{"slug", "beta"}}).status, 201);
  }

  struct Answer {
    int status = 0;
    json body;
  };
  Answer call(const std::string& method, const std::string& path, const std::string& token, const json& body = nullptr) {
    auto r = http(method, host_.url() + path, body.is_null() ? "" : body.dump(), token, host_.ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return {r.value().status, r.value().body.empty() ? json() : json_of(r.value())};
  }
  static std::string code(const Answer& a) { return a.body.value("error", json::object()).value("code", ""); }
  const std::string& admin() const { return host_.admin_token(); }

  std::string token(const json& spec) {
    const Answer made = call("POST", "/v1/tokens", admin(), spec);
    EXPECT_EQ(made.status, 201) << made.body;
    return made.body.value("token", "");
  }

  DevHost host_{{"--test-clock"}};
};

TEST_F(Secrets, VersionsAndCheckAndSet) {
  const std::string ops = token({{"roles", {"pki_admin"}}});
  Answer put = call("PUT", "/v1/secrets/db/password", ops, {{"data", {{"password", "first-value"}}}, {"cas", 0}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body["version"], 1);
  EXPECT_EQ(call("PUT", "/v1/secrets/db/password", ops, {{"data", {{"password", "second-value"}}}, {"cas", 1}}).body["version"], 2);
  // A writer that read version 1 loses: nothing is overwritten silently.
  const Answer stale = call("PUT", "/v1/secrets/db/password", ops, {{"data", {{"password", "lost"}}}, {"cas", 1}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(code(stale), "version_conflict");
  EXPECT_EQ(call("PUT", "/v1/secrets/db/password", ops, {{"data", "x"}, {"cas", 0}}).status, 409);  // create-only

  const Answer latest = call("GET", "/v1/secrets/db/password", ops);
  EXPECT_EQ(latest.body["version"], 2);
  EXPECT_EQ(latest.body["data"]["password"], "second-value");
  EXPECT_EQ(call("GET", "/v1/secrets/db/password?version=1", ops).body["data"]["password"], "first-value");

  // Soft delete of the latest version, then the first destroyed for good.
  EXPECT_EQ(call("DELETE", "/v1/secrets/db/password", ops).status, 204);
  EXPECT_EQ(call("GET", "/v1/secrets/db/password", ops).status, 404);
  EXPECT_EQ(call("GET", "/v1/secrets/db/password?version=1", ops).status, 200);
  EXPECT_EQ(call("DELETE", "/v1/secrets/db/password?versions=1&destroy=true", ops).status, 204);
  EXPECT_EQ(code(call("GET", "/v1/secrets/db/password?version=1", ops)), "not_found");

  // Bad input: precise refusals.
  EXPECT_EQ(code(call("PUT", "/v1/secrets/a/%2e%2e/b", ops, {{"data", 1}})), "invalid_request");
  EXPECT_EQ(code(call("PUT", "/v1/secrets/a/b@c", ops, {{"data", 1}})), "invalid_request");
  EXPECT_EQ(code(call("PUT", "/v1/secrets/a", ops, {{"value", 1}})), "invalid_request");
  EXPECT_EQ(code(call("PUT", "/v1/secrets/a", ops, {{"data", 1}, {"cas", -1}})), "invalid_request");
  EXPECT_EQ(code(call("GET", "/v1/secrets/a?version=x", ops)), "invalid_request");

  // Every access is in the audit log, and no value is.
  const Answer audit = call("GET", "/v1/audit?object=db/password&limit=100", admin());
  ASSERT_EQ(audit.status, 200);
  std::set<std::string> actions;
  for (const auto& r : audit.body["items"]) actions.insert(r.value("action", ""));
  EXPECT_EQ(actions, (std::set<std::string>{"secret.write", "secret.read", "secret.delete", "secret.destroy"}));
  EXPECT_EQ(audit.body.dump().find("first-value"), std::string::npos);
  EXPECT_EQ(host_.log().find("second-value"), std::string::npos);
}

TEST_F(Secrets, TenantsAndApplicationsSeeOnlyTheirOwn) {
  const std::string home = token({{"roles", {"pki_admin"}}});
  const std::string beta = token({{"roles", {"pki_admin"}}, {"tenant", "beta"}});
  const std::string web = token({{"roles", {"secrets_user"}}, {"service", "web"}});
  const std::string auditor = token({{"roles", {"auditor"}}});
  ASSERT_EQ(call("PUT", "/v1/secrets/db/password", home, {{"data", "home-secret"}}).status, 200);
  ASSERT_EQ(call("PUT", "/v1/secrets/web/api-key", home, {{"data", "web-key"}}).status, 200);

  // Another tenant: the same path does not exist there, and its own is apart.
  EXPECT_EQ(code(call("GET", "/v1/secrets/db/password", beta)), "not_found");
  EXPECT_TRUE(call("GET", "/v1/secrets", beta).body["items"].empty());
  EXPECT_EQ(code(call("PUT", "/v1/secrets/db/password", beta, {{"data", "x"}, {"cas", 2}})), "version_conflict");
  EXPECT_EQ(call("PUT", "/v1/secrets/db/password", beta, {{"data", "beta-secret"}}).body["version"], 1);
  EXPECT_EQ(call("GET", "/v1/secrets/db/password", beta).body["data"], "beta-secret");
  EXPECT_EQ(call("GET", "/v1/secrets/db/password", home).body["data"], "home-secret");
  EXPECT_EQ(call("DELETE", "/v1/secrets/db/password?versions=1&destroy=true", beta).status, 204);
  EXPECT_EQ(call("GET", "/v1/secrets/db/password", home).body["data"], "home-secret");
  // The super admin reaches a tenant by naming it.
  EXPECT_EQ(call("GET", "/v1/secrets/web/api-key?tenant=beta", admin()).status, 404);
  EXPECT_EQ(call("GET", "/v1/secrets/web/api-key", admin()).body["data"], "web-key");

  // An application's token: its own folder only, the rest does not exist.
  EXPECT_EQ(call("GET", "/v1/secrets/web/api-key", web).body["data"], "web-key");
  EXPECT_EQ(call("PUT", "/v1/secrets/web/session", web, {{"data", "s"}}).status, 200);
  EXPECT_EQ(code(call("GET", "/v1/secrets/db/password", web)), "not_found");
  EXPECT_EQ(code(call("PUT", "/v1/secrets/db/password", web, {{"data", "overwrite"}})), "not_found");
  EXPECT_EQ(code(call("DELETE", "/v1/secrets/db/password", web)), "not_found");
  const auto paths = [&](const std::string& query) {
    const Answer page = call("GET", "/v1/secrets" + query, web);
    std::vector<std::string> listed;
    for (const auto& item : page.body["items"]) listed.push_back(item["path"]);
    return listed;
  };
  EXPECT_EQ(paths(""), (std::vector<std::string>{"web/api-key", "web/session"}));
  EXPECT_TRUE(paths("?prefix=db").empty());

  // Roles without secret permissions get none.
  EXPECT_EQ(code(call("GET", "/v1/secrets/db/password", auditor)), "permission_denied");
  EXPECT_EQ(code(call("GET", "/v1/secrets", auditor)), "permission_denied");
}

TEST_F(Secrets, ARotationPolicyRaisesAnEventWhenDue) {
  const std::string ops = token({{"roles", {"pki_admin"}}});
  const Answer put = call("PUT", "/v1/secrets/db/password", ops, {{"data", "v1"}, {"rotation_interval", "30d"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(put.body["rotate_at"].is_string());
  EXPECT_EQ(code(call("PUT", "/v1/secrets/x", ops, {{"data", "v"}, {"rotation_interval", "10s"}})), "invalid_request");
  const auto rotations = [&] { return call("GET", "/v1/notifications?type=secret_rotation", admin()).body["items"]; };
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "29d23h"}}).status, 200);
  EXPECT_TRUE(rotations().empty());
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "2h"}}).status, 200);
  // The dev host has no notifier: the event is recorded as not sent, and why.
  const json items = rotations();
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["status"], "not_sent");
  EXPECT_FALSE(items[0].value("reason", "").empty());
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "1d"}}).status, 200);
  EXPECT_EQ(rotations().size(), 1u);  // once per due date
  // A new version starts the interval again.
  EXPECT_EQ(call("PUT", "/v1/secrets/db/password", admin(), {{"data", "v2"}}).status, 200);  // `ops` has expired by now
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "29d23h"}}).status, 200);
  EXPECT_EQ(rotations().size(), 1u);
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "2h"}}).status, 200);
  EXPECT_EQ(rotations().size(), 2u);
}

// The store and the audit log are two systems. With the audit log down
// (a trigger refuses every insert), changes the store made are answered
// 503; once the log is back, the lifecycle round records each one as the
// store says it went, under its original request id, and the path's
// metadata follows.
TEST_F(Secrets, AChangeTheStoreMadeButTheAuditLogMissedIsRecordedLater) {
  ASSERT_EQ(call("PUT", "/v1/secrets/app/key", admin(), {{"data", "first"}}).status, 200);
  ASSERT_EQ(call("PUT", "/v1/secrets/app/old", admin(), {{"data", "old"}}).status, 200);
  const std::string db = host_.dir().file("dev/signet.db");
  const auto down = set_audit_log_down(host_.dir(), db, true);
  ASSERT_EQ(down.status, 0) << down.output;

  const auto request_id = [](const Answer& a) { return a.body.value("error", json::object()).value("request_id", ""); };
  const Answer write = call("PUT", "/v1/secrets/app/key", admin(), {{"data", "second"}, {"rotation_interval", "30d"}});
  EXPECT_EQ(write.status, 503) << write.body;
  const Answer removal = call("DELETE", "/v1/secrets/app/old", admin());
  EXPECT_EQ(removal.status, 503) << removal.body;
  const Answer conflict = call("PUT", "/v1/secrets/app/key", admin(), {{"data", "lost"}, {"cas", 1}});
  EXPECT_EQ(code(conflict), "version_conflict") << conflict.body;
  const Answer absent = call("DELETE", "/v1/secrets/app/never?versions=3", admin());
  EXPECT_EQ(code(absent), "not_found") << absent.body;
  // Without a record, not even the admin reads the new value.
  EXPECT_EQ(call("GET", "/v1/secrets/app/key", admin()).status, 503);

  const auto up = set_audit_log_down(host_.dir(), db, false);
  ASSERT_EQ(up.status, 0) << up.output;
  // A host killed between the announcement and the store: nothing happened.
  const auto killed = query_database(
      host_.dir(), db,
      "INSERT INTO secret_changes (request_id, tenant_id, path, store, action, principal, auth, source, detail, "
      "created_at) SELECT 'rid_killed', tenant_id, 'app/ghost', store, 'write', 'tok_gone', 'token', '127.0.0.1', "
      "'{}', 0 FROM secrets WHERE path = 'app/key'");
  ASSERT_EQ(killed.status, 0) << killed.output;
  const auto record_of = [&](const Answer& a) {
    const json items = call("GET", "/v1/audit?request_id=" + request_id(a), admin()).body["items"];
    return items.size() == 1 ? items[0] : json{{"records", items}};
  };
  EXPECT_EQ(record_of(write)["records"], json::array());  // not yet: the change might still be under way
  ASSERT_EQ(call("POST", "/v1/test/clock", admin(), {{"advance", "6m"}}).status, 200);

  const json written = record_of(write);
  EXPECT_EQ(written["action"], "secret.write") << written.dump();
  EXPECT_EQ(written["outcome"], "success");
  EXPECT_EQ(written["object"], "app/key");
  EXPECT_EQ(written["detail"]["version"], 2);
  EXPECT_EQ(written["detail"]["settled_by"], "lifecycle");
  const json removed = record_of(removal);
  EXPECT_EQ(removed["action"], "secret.delete") << removed.dump();
  EXPECT_EQ(removed["outcome"], "success");
  // Refusals keep their reason: the store is not asked again.
  const json refused = record_of(conflict);
  EXPECT_EQ(refused["action"], "secret.write") << refused.dump();
  EXPECT_EQ(refused["outcome"], "failure");
  EXPECT_EQ(refused["detail"]["error"], "version_conflict");
  const json not_deleted = record_of(absent);
  EXPECT_EQ(not_deleted["action"], "secret.delete") << not_deleted.dump();
  EXPECT_EQ(not_deleted["outcome"], "failure");
  EXPECT_EQ(not_deleted["detail"]["error"], "not_found");

  const json ghost = call("GET", "/v1/audit?request_id=rid_killed", admin()).body["items"];
  ASSERT_EQ(ghost.size(), 1u) << ghost.dump();
  EXPECT_EQ(ghost[0]["outcome"], "failure");
  EXPECT_EQ(ghost[0]["principal"], "tok_gone");
  EXPECT_EQ(ghost[0]["detail"]["error"], "interrupted");
  EXPECT_EQ(call("GET", "/v1/secrets/app/ghost", admin()).status, 404);

  // The metadata caught up with the store, rotation policy included.
  const json listed = call("GET", "/v1/secrets?prefix=app/key", admin()).body["items"];
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["version"], 2);
  EXPECT_EQ(listed[0]["rotation_interval"], "720h");
  EXPECT_EQ(call("GET", "/v1/secrets/app/key", admin()).body["data"], "second");
  EXPECT_EQ(call("GET", "/v1/secrets/app/old", admin()).status, 404);
  EXPECT_EQ(query_database(host_.dir(), db, "SELECT COUNT(*) FROM secret_changes").output, "0\n");
}

}  // namespace
}  // namespace signet::test
