// Identity and access through the real binary: tenants, tokens with roles,
// services and source networks, and what each caller may see and do.
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

class Access : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new DevHost();
    ASSERT_TRUE(host_->started()) << host_->log();
    admin_ = host_->admin_token();
  }
  static void TearDownTestSuite() {
    delete host_;
  }

  struct Answer {
    int status = 0;
    json body;
  };
  static Answer call(const std::string& method, const std::string& path, const std::string& token,
                     const json& body = nullptr) {
    auto r = http(method, host_->url() + path, body.is_null() ? "" : body.dump(), token, host_->ca_file());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    return {r.value().status, r.value().body.empty() ? json() : json_of(r.value())};
  }
  static std::string error_code(const Answer& a) { return a.body.value("error", json::object()).value("code", ""); }

  static std::string token(const json& spec) {
    const Answer made = call("POST", "/v1/tokens", admin_, spec);
    EXPECT_EQ(made.status, 201) << made.body;
    return made.body.value("token", "");
  }
  static std::string issue(const std::string& token_value, const std::string& name, int expected = 201) {
    const Answer a = call("POST", "/v1/certificates", token_value,
                          {{"common_name", name}, {"sans", {{"dns", {name}}}}, {"key", {{"type", "ecdsa"}}}});
    EXPECT_EQ(a.status, expected) << a.body;
    return a.body.value("id", "");
  }

  static DevHost* host_;
  static std::string admin_;
};
DevHost* Access::host_ = nullptr;
std::string Access::admin_;

TEST_F(Access, SuperAdminsManageTenants) {
  EXPECT_EQ(call("POST", "/v1/tenants", admin_, {{"slug", "shop"}, {"name", "Shop"}}).status, 201);
  const Answer again = call("POST", "/v1/tenants", admin_, {{"slug", "shop"}, {"name", "Shop"}});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_code(again), "conflict");
  for (const char* bad : {"Shop", "-shop", "sh op", "../etc", ""})
    EXPECT_EQ(error_code(call("POST", "/v1/tenants", admin_, {{"slug", bad}})), "invalid_request") << bad;
  const Answer list = call("GET", "/v1/tenants", admin_);
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> slugs;
  for (const auto& t : list.body["items"]) slugs.push_back(t["slug"]);
  EXPECT_NE(std::find(slugs.begin(), slugs.end(), "shop"), slugs.end());
  EXPECT_NE(std::find(slugs.begin(), slugs.end(), "default"), slugs.end());

  const std::string tenant_admin = token({{"tenant", "shop"}, {"roles", {"pki_admin"}}, {"ttl", "1h"}});
  const Answer refused = call("POST", "/v1/tenants", tenant_admin, {{"slug", "other"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(error_code(refused), "permission_denied");
  EXPECT_NE(refused.body.dump().find("tenant:create"), std::string::npos);
}

TEST_F(Access, ServiceAccountsSeeOnlyTheirOwnServicesCertificates) {
  ASSERT_EQ(call("POST", "/v1/tenants", admin_, {{"slug", "pay"}, {"name", "Payments"}}).status, 201);
  const std::string checkout = token({{"tenant", "pay"}, {"roles", {"service_account"}}, {"service", "checkout"}});
  const std::string billing = token({{"tenant", "pay"}, {"roles", {"service_account"}}, {"service", "billing"}});
  const std::string own = issue(checkout, "checkout.test");
  ASSERT_FALSE(own.empty());

  EXPECT_EQ(call("GET", "/v1/certificates/" + own, checkout).status, 200);
  EXPECT_EQ(call("GET", "/v1/certificates/" + own + "/bundle", checkout).status, 200);
  EXPECT_EQ(call("GET", "/v1/certificates/" + own, billing).status, 404);
  EXPECT_EQ(call("GET", "/v1/certificates/" + own + "/bundle", billing).status, 404);
  EXPECT_EQ(call("POST", "/v1/certificates/" + own + "/renew", billing).status, 404);
  EXPECT_EQ(call("GET", "/v1/certificates", billing).body["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/v1/certificates?service=checkout", billing).body["items"].size(), 0u);
  const Answer mine = call("GET", "/v1/certificates", checkout);
  ASSERT_EQ(mine.body["items"].size(), 1u);
  EXPECT_EQ(mine.body["items"][0]["id"], own);

  // Renewal keeps the owner; revocation and naming another service are not a service's to do.
  const Answer renewed = call("POST", "/v1/certificates/" + own + "/renew", checkout);
  EXPECT_EQ(renewed.status, 201) << renewed.body;
  EXPECT_EQ(call("GET", "/v1/certificates/" + renewed.body.value("id", "x"), checkout).status, 200);
  EXPECT_EQ(error_code(call("POST", "/v1/certificates/" + own + "/revoke", checkout, json::object())), "permission_denied");
  const Answer other = call("POST", "/v1/certificates", checkout,
                            {{"common_name", "x.test"}, {"service", "billing"}, {"key", {{"type", "ecdsa"}}}});
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", checkout, {{"roles", {"service_account"}}, {"service", "x"}})),
            "permission_denied");

  // Another tenant's certificate does not exist, even for its super admin acting at home.
  EXPECT_EQ(call("GET", "/v1/certificates/" + own, admin_).status, 404);
  EXPECT_EQ(call("GET", "/v1/certificates/" + own + "?tenant=pay", admin_).status, 200);
}

TEST_F(Access, TokensAreShownOnceBoundedAndRevocable) {
  const Answer made = call("POST", "/v1/tokens", admin_,
                           {{"roles", {"auditor"}}, {"ttl", "2h"}, {"description", "quarterly review"}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string secret = made.body.value("token", "");
  const std::string id = made.body.value("id", "");
  EXPECT_EQ(secret.rfind("sgt_", 0), 0u);

  const Answer listed = call("GET", "/v1/tokens", admin_);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.dump().find(secret), std::string::npos);  // never shown again
  bool found = false;
  for (const auto& t : listed.body["items"]) found = found || (t["id"] == id && !t.contains("token"));
  EXPECT_TRUE(found);

  // An auditor reads certificates but never receives a private key.
  const std::string cert = issue(admin_, "audited.test");
  EXPECT_EQ(call("GET", "/v1/certificates/" + cert, secret).status, 200);
  EXPECT_EQ(error_code(call("GET", "/v1/certificates/" + cert + "/bundle", secret)), "permission_denied");
  EXPECT_EQ(error_code(call("POST", "/v1/certificates", secret, json::object())), "permission_denied");

  EXPECT_EQ(call("DELETE", "/v1/tokens/" + id, admin_).status, 204);
  EXPECT_EQ(call("DELETE", "/v1/tokens/" + id, admin_).status, 204);  // twice is fine
  EXPECT_EQ(call("DELETE", "/v1/tokens/tok_nope", admin_).status, 404);
  int status = 200;  // a host may answer from its one-second token cache
  for (int i = 0; i < 30 && status != 401; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = call("GET", "/v1/certificates/" + cert, secret).status;
  }
  EXPECT_EQ(status, 401);
}

TEST_F(Access, AnExpiredTokenIsRefused) {
  const std::string brief = token({{"roles", {"auditor"}}, {"ttl", "1s"}});
  EXPECT_EQ(call("GET", "/v1/certificates", brief).status, 200);
  int status = 200;
  for (int i = 0; i < 30 && status != 401; ++i) {  // bounded: the token ends after a second
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = call("GET", "/v1/certificates", brief).status;
  }
  EXPECT_EQ(status, 401);
}

TEST_F(Access, TokensCannotGrantMoreThanTheirCreatorHolds) {
  ASSERT_EQ(call("POST", "/v1/tenants", admin_, {{"slug", "ops"}, {"name", "Ops"}}).status, 201);
  const std::string ops_admin = token({{"tenant", "ops"}, {"roles", {"pki_admin"}}});
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", ops_admin, {{"roles", {"pki_super_admin"}}})), "permission_denied");
  EXPECT_EQ(call("POST", "/v1/tokens", ops_admin, {{"roles", {"cert_manager"}}}).status, 201);
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", ops_admin, {{"roles", {"service_account"}}})), "invalid_request");
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", ops_admin, {{"roles", {"no_such_role"}}})), "unknown_role");
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", ops_admin, {{"roles", json::array()}})), "invalid_request");
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", ops_admin, {{"roles", {"auditor"}}, {"ttl", "9999d"}})), "invalid_request");
  // A tenant admin cannot reach into another tenant: to it, the tenant does not exist.
  EXPECT_EQ(call("POST", "/v1/tokens", ops_admin, {{"tenant", "pay"}, {"roles", {"auditor"}}}).status, 404);
  EXPECT_EQ(call("GET", "/v1/tokens?tenant=default", ops_admin).status, 404);
}

TEST_F(Access, TokensBoundToNetworksWorkOnlyFromThere) {
  const std::string elsewhere = token({{"roles", {"auditor"}}, {"allowed_networks", {"10.0.0.0/8"}}});
  const std::string here = token({{"roles", {"auditor"}}, {"allowed_networks", {"127.0.0.0/8", "::1"}}});
  EXPECT_EQ(call("GET", "/v1/certificates", elsewhere).status, 401);
  EXPECT_EQ(call("GET", "/v1/certificates", here).status, 200);
  EXPECT_EQ(error_code(call("POST", "/v1/tokens", admin_, {{"roles", {"auditor"}}, {"allowed_networks", {"10.0.0.1/8"}}})),
            "invalid_request");
}

TEST_F(Access, ActionsAndRefusalsAreAuditedForTheirTenantsAuditors) {
  const Answer auditor_made = call("POST", "/v1/tokens", admin_, {{"roles", {"auditor"}}});
  ASSERT_EQ(auditor_made.status, 201);
  const std::string auditor = auditor_made.body.value("token", "");
  const std::string cert = issue(admin_, "audit-trail.test");
  ASSERT_EQ(call("GET", "/v1/certificates/" + cert + "/bundle", auditor).status, 403);

  const Answer denied = call("GET", "/v1/audit?action=cert:export&outcome=denied&principal=" +
                                        auditor_made.body.value("id", ""), auditor);
  ASSERT_EQ(denied.status, 200) << denied.body;
  ASSERT_EQ(denied.body["items"].size(), 1u) << denied.body;
  const json& refusal = denied.body["items"][0];
  EXPECT_EQ(refusal["principal"], auditor_made.body["id"]);
  EXPECT_EQ(refusal["auth"], "token");
  EXPECT_EQ(refusal["source"], "127.0.0.1");
  EXPECT_EQ(refusal["object"], cert);
  EXPECT_EQ(refusal["detail"]["code"], "permission_denied");
  EXPECT_EQ(refusal["detail"]["status"], 403);
  EXPECT_EQ(refusal["hash"].get<std::string>().size(), 64u);

  const Answer issued = call("GET", "/v1/audit?action=certificate.issue&object=" + cert, auditor);
  ASSERT_EQ(issued.body["items"].size(), 1u);
  EXPECT_EQ(issued.body["items"][0]["outcome"], "success");

  // Pages follow each other; the chain links each record to the one before it in the whole log.
  const Answer first = call("GET", "/v1/audit?limit=1", auditor);
  ASSERT_TRUE(first.body["next_cursor"].is_string());
  const Answer second = call("GET", "/v1/audit?limit=1&cursor=" + first.body["next_cursor"].get<std::string>(), auditor);
  ASSERT_EQ(second.body["items"].size(), 1u);
  EXPECT_GT(second.body["items"][0]["seq"], first.body["items"][0]["seq"]);

  // Another tenant's auditor sees none of it; others may not read the log at all.
  ASSERT_EQ(call("POST", "/v1/tenants", admin_, {{"slug", "audited-elsewhere"}}).status, 201);
  const std::string other = token({{"tenant", "audited-elsewhere"}, {"roles", {"auditor"}}});
  const Answer theirs = call("GET", "/v1/audit", other);
  ASSERT_EQ(theirs.status, 200);
  for (const auto& item : theirs.body["items"]) EXPECT_NE(item["object"], cert);
  const std::string manager = token({{"roles", {"cert_manager"}}});
  EXPECT_EQ(error_code(call("GET", "/v1/audit", manager)), "permission_denied");
  EXPECT_EQ(error_code(call("GET", "/v1/audit?since=yesterday", auditor)), "invalid_request");
  EXPECT_EQ(error_code(call("GET", "/v1/audit?cursor=1;DROP", auditor)), "invalid_request");
}

TEST_F(Access, RefusalsOfUnknownCallersAreListedForSuperAdminsOnly) {
  EXPECT_EQ(call("GET", "/v1/certificates", "sgt_not-a-real-token").status, 401);
  EXPECT_EQ(call("GET", "/v1/no-such-route", "").status, 404);
  const Answer host_records = call("GET", "/v1/audit?tenant=_none&outcome=denied&action=cert:read", admin_);
  ASSERT_EQ(host_records.status, 200) << host_records.body;
  ASSERT_FALSE(host_records.body["items"].empty());
  const json& refusal = host_records.body["items"].back();
  EXPECT_TRUE(refusal["principal"].is_null()) << refusal;
  EXPECT_EQ(refusal["detail"]["code"], "unauthenticated");
  EXPECT_EQ(refusal["detail"]["path"], "/v1/certificates");
  const Answer probes = call("GET", "/v1/audit?tenant=_none&action=http:route", admin_);
  ASSERT_FALSE(probes.body["items"].empty());
  EXPECT_EQ(probes.body["items"].back()["detail"]["path"], "/v1/no-such-route");
  // Not in the tenant's own listing, and not for a tenant's auditor.
  EXPECT_TRUE(call("GET", "/v1/audit?action=http:route", admin_).body["items"].empty());
  const std::string auditor = token({{"roles", {"auditor"}}});
  EXPECT_EQ(error_code(call("GET", "/v1/audit?tenant=_none", auditor)), "not_found");
}

TEST_F(Access, TraversalAndSqlInIdsAndFiltersFindNothing) {
  const std::string cert = issue(admin_, "innocent.test");
  for (const char* path : {"/v1/certificates/..%2F..%2Fetc%2Fpasswd", "/v1/certificates/%2e%2e", "/v1/certificates/..",
                           "/v1/certificates/crt_x'%20OR%20'1'%3D'1", "/v1/requests/..%2Fcertificates",
                           "/v1/certificates/" "%00"})
    EXPECT_EQ(call("GET", path, admin_).status, 404) << path;
  for (const char* query : {"q=%27%20OR%201%3D1%20--", "common_name=x%27%20OR%20%271%27%3D%271", "san=%25",
                            "profile=default%27--", "service=%27%20OR%20service%20IS%20NULL--"}) {
    const Answer a = call("GET", std::string("/v1/certificates?") + query, admin_);
    EXPECT_EQ(a.status, 200) << query;
    EXPECT_EQ(a.body["items"].size(), 0u) << query << " " << a.body;
  }
  for (const char* query : {"status=active%27--", "cursor=%27%20OR%201%3D1", "limit=1%20OR%201", "expiring_before=now()"})
    EXPECT_EQ(error_code(call("GET", std::string("/v1/certificates?") + query, admin_)), "invalid_request") << query;
  EXPECT_EQ(call("GET", "/v1/audit?action=%27%20OR%201%3D1--", admin_).body["items"].size(), 0u);
  EXPECT_EQ(call("DELETE", "/v1/tokens/%27%20OR%201%3D1--", admin_).status, 404);
  EXPECT_EQ(call("GET", "/v1/certificates/" + cert, admin_).status, 200);  // and everything still stands
  EXPECT_EQ(call("GET", "/v1/tokens", admin_).status, 200);
}

TEST_F(Access, ServicesLogInWithRoleIdAndSecretId) {
  const Answer made = call("POST", "/v1/auth/approles", admin_,
                           {{"name", "checkout-prod"}, {"roles", {"service_account"}}, {"service", "checkout"},
                            {"token_ttl", "1h"}, {"secret_id_num_uses", 2}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string role_id = made.body.value("role_id", "");
  EXPECT_EQ(call("POST", "/v1/auth/approles", admin_, {{"name", "checkout-prod"}, {"roles", {"auditor"}}}).status, 409);
  const Answer secret = call("POST", "/v1/auth/approles/" + role_id + "/secret-id", admin_, json::object());
  ASSERT_EQ(secret.status, 201) << secret.body;
  const std::string secret_id = secret.body.value("secret_id", "");

  for (int use = 0; use < 2; ++use) {
    const Answer login = call("POST", "/v1/auth/login", "", {{"role_id", role_id}, {"secret_id", secret_id}});
    ASSERT_EQ(login.status, 200) << login.body;
    EXPECT_EQ(login.body["service"], "checkout");
    const std::string token_value = login.body.value("token", "");
    EXPECT_EQ(call("GET", "/v1/certificates", token_value).status, 200);
    EXPECT_EQ(error_code(call("GET", "/v1/audit", token_value)), "permission_denied");  // only what the role grants
  }
  auto refused = [&](const json& body) {
    const Answer a = call("POST", "/v1/auth/login", "", body);
    EXPECT_EQ(a.status, 401) << a.body;
    return error_code(a);
  };
  EXPECT_EQ(refused({{"role_id", role_id}, {"secret_id", secret_id}}), "unauthenticated");  // used up
  EXPECT_EQ(refused({{"role_id", role_id}, {"secret_id", "sgs_wrong"}}), "unauthenticated");
  EXPECT_EQ(refused({{"role_id", "rol_nope"}, {"secret_id", secret_id}}), "unauthenticated");
  EXPECT_EQ(call("POST", "/v1/auth/login", "", {{"role_id", role_id}}).status, 400);

  // Short-lived secret ids expire; a deleted role logs nobody in.
  const Answer brief = call("POST", "/v1/auth/approles", admin_,
                            {{"name", "brief"}, {"roles", {"auditor"}}, {"secret_id_ttl", "1s"}});
  ASSERT_EQ(brief.status, 201) << brief.body;
  const std::string brief_id = brief.body.value("role_id", "");
  const std::string brief_secret = call("POST", "/v1/auth/approles/" + brief_id + "/secret-id", admin_, json::object())
                                       .body.value("secret_id", "");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(refused({{"role_id", brief_id}, {"secret_id", brief_secret}}), "unauthenticated");
  const std::string fresh = call("POST", "/v1/auth/approles/" + role_id + "/secret-id", admin_, json::object())
                                .body.value("secret_id", "");
  EXPECT_EQ(call("DELETE", "/v1/auth/approles/" + role_id, admin_).status, 204);
  EXPECT_EQ(refused({{"role_id", role_id}, {"secret_id", fresh}}), "unauthenticated");

  // The log says why each attempt failed, without the secret.
  const Answer logins = call("GET", "/v1/audit?action=auth.login&outcome=denied", admin_);
  std::set<std::string> reasons;
  for (const auto& item : logins.body["items"]) reasons.insert(item["detail"].value("reason", ""));
  // (An unknown role_id belongs to no tenant: its record is in the log, not in a tenant's listing.)
  for (const char* why : {"the secret_id is used up", "the secret_id is not one of this role's", "the secret_id expired",
                          "the login role was deleted"})
    EXPECT_TRUE(reasons.count(why)) << why << " in " << logins.body;
  EXPECT_EQ(logins.body.dump().find(secret_id), std::string::npos);
}

}  // namespace
}  // namespace signet::test
