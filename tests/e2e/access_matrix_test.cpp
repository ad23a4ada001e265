// Every guarded route × every built-in role × own/other service × own/other
// tenant, against the real binary: the status of each combination. The
// expectations are written out here from docs/access.md, not derived from
// the host's role table.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "e2e_helpers.hpp"

namespace signet::test {
namespace {

using nlohmann::json;

// What each role may do (docs/access.md); "own" marks `_own` grants.
const std::map<std::string, std::map<std::string, std::string>> kExpectedGrants = {
    {"pki_super_admin", {{"cert:request", "all"}, {"cert:read", "all"}, {"cert:export", "all"}, {"cert:renew", "all"},
                         {"cert:revoke", "all"}, {"tenant:create", "all"}, {"tenant:read", "all"},
                         {"token:create", "all"}, {"token:read", "all"}, {"token:revoke", "all"}, {"audit:read", "all"},
                         {"approle:create", "all"}, {"approle:read", "all"}, {"approle:delete", "all"},
                         {"renewal:run", "all"}, {"notification:read", "all"}, {"secret:read", "all"},
                         {"secret:write", "all"}, {"secret:delete", "all"}, {"request:approve", "all"}}},
    {"pki_admin", {{"cert:request", "all"}, {"cert:read", "all"}, {"cert:export", "all"}, {"cert:renew", "all"},
                   {"cert:revoke", "all"}, {"token:create", "all"}, {"token:read", "all"}, {"token:revoke", "all"},
                   {"audit:read", "all"}, {"approle:create", "all"}, {"approle:read", "all"}, {"approle:delete", "all"},
                   {"renewal:run", "all"}, {"notification:read", "all"}, {"secret:read", "all"}, {"secret:write", "all"},
                   {"secret:delete", "all"}, {"request:approve", "all"}}},
    {"cert_manager", {{"cert:request", "all"}, {"cert:read", "all"}, {"cert:export", "all"}, {"cert:renew", "all"},
                      {"cert:revoke", "all"}, {"notification:read", "all"}}},
    {"service_account", {{"cert:request", "own"}, {"cert:read", "own"}, {"cert:export", "own"}, {"cert:renew", "own"}}},
    {"secrets_user", {{"secret:read", "own"}, {"secret:write", "own"}, {"secret:delete", "own"}}},
    {"code_signer", {{"cert:read", "all"}}},
    {"auditor", {{"cert:read", "all"}, {"audit:read", "all"}, {"notification:read", "all"}}},
};

// The objects a call aims at: in the caller's tenant and service, in its
// tenant but another service, in another tenant.
struct Targets {
  std::string own, other_service, other_tenant;
};

enum class Kind { object, collection };

struct Route {
  std::string method, path;  // "{id}" is replaced by the target
  std::string permission;
  Kind kind;
  int success;
  int own_other_service;  // what an `_own` caller gets aiming at another service's object
  // A collection route whose path names the service (secrets): the path aimed at another service.
  std::string other_service_path = {};
};

class AccessMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = new DevHost();
    ASSERT_TRUE(host_->started()) << host_->log();
    admin_ = new std::string(host_->admin_token());
    const std::string& admin = *admin_;
    for (const char* slug : {"alpha", "beta"}) ASSERT_EQ(call("POST", "/v1/tenants", admin, {{"slug", slug}}).first, 201);
  }
  static void TearDownTestSuite() {
    delete host_;
    delete admin_;
  }

  static std::pair<int, json> call(const std::string& method, const std::string& path, const std::string& token,
                                   const json& body = nullptr) {
    auto r = http(method, host_->url() + path, body.is_null() ? "" : body.dump(), token, host_->ca_file());
    if (!r) return {-1, json()};
    return {r.value().status, r.value().body.empty() ? json() : json::parse(r.value().body, nullptr, false)};
  }

  // A certificate in tenant `slug` belonging to `service`; returns {id, request_id}.
  static std::pair<std::string, std::string> certificate(const std::string& slug, const std::string& service) {
    const auto [status, body] = call("POST", "/v1/certificates?tenant=" + slug, *admin_,
                                     {{"common_name", "m.test"}, {"service", service}, {"key", {{"type", "ecdsa"}}}});
    EXPECT_EQ(status, 201) << body;
    return {body.value("id", ""), body.value("request_id", "")};
  }
  static std::string token_in(const std::string& slug, const std::string& role) {
    const auto [status, body] = call("POST", "/v1/tokens", *admin_, {{"tenant", slug}, {"roles", {role}}, {"service", "svc"}});
    EXPECT_EQ(status, 201) << body;
    return body.value("token", "");
  }
  static std::string approle_in(const std::string& slug) {
    static int made = 0;
    const auto [status, body] = call("POST", "/v1/auth/approles", *admin_,
                                     {{"tenant", slug}, {"name", "target" + std::to_string(++made)}, {"roles", {"auditor"}}});
    EXPECT_EQ(status, 201) << body;
    return body.value("role_id", "");
  }
  static std::string token_id_in(const std::string& slug) {
    const auto [status, body] = call("POST", "/v1/tokens", *admin_, {{"tenant", slug}, {"roles", {"auditor"}}});
    EXPECT_EQ(status, 201) << body;
    return body.value("id", "");
  }

  static DevHost* host_;
  static std::string* admin_;
};
DevHost* AccessMatrix::host_ = nullptr;
std::string* AccessMatrix::admin_ = nullptr;

// The status a call should get: permission first (403), then tenant (404),
// then service for `_own` access (404; 403 when naming another service in a new request).
int expected_status(const Route& route, const std::string& role, bool other_service, bool other_tenant) {
  const auto& grants = kExpectedGrants.at(role);
  const auto grant = grants.find(route.permission);
  if (grant == grants.end()) return 403;
  if (other_tenant) {
    // Objects of another tenant do not exist; naming another tenant is a super admin's privilege.
    if (route.kind == Kind::object || role != "pki_super_admin") return 404;
    return route.success;
  }
  if (grant->second == "own" && other_service) return route.own_other_service;
  return route.success;
}

TEST_F(AccessMatrix, EveryRouteRoleServiceAndTenant) {
  std::map<std::string, std::string> tokens;
  for (const auto& [role, grants] : kExpectedGrants) tokens[role] = token_in("alpha", role);

  const std::vector<Route> routes = {
      // A list is narrowed to the caller's service; a new certificate may not name another.
      {"GET", "/v1/certificates", "cert:read", Kind::collection, 200, 200},
      {"POST", "/v1/certificates", "cert:request", Kind::collection, 201, 403},
      {"GET", "/v1/certificates/{id}", "cert:read", Kind::object, 200, 404},
      {"GET", "/v1/certificates/{id}/bundle", "cert:export", Kind::object, 200, 404},
      {"POST", "/v1/certificates/{id}/renew", "cert:renew", Kind::object, 201, 404},
      {"POST", "/v1/certificates/{id}/revoke", "cert:revoke", Kind::object, 200, 404},
      {"GET", "/v1/requests", "cert:read", Kind::collection, 200, 200},
      {"GET", "/v1/requests/{id}", "cert:read", Kind::object, 200, 404},
      // The targets are finished requests: an approver may decide (409: nothing waits for a decision).
      {"POST", "/v1/requests/{id}/approve", "request:approve", Kind::object, 409, 404},
      {"GET", "/v1/tenants", "tenant:read", Kind::collection, 200, 200},
      {"POST", "/v1/tenants", "tenant:create", Kind::collection, 201, 201},
      {"GET", "/v1/tokens", "token:read", Kind::collection, 200, 200},
      {"POST", "/v1/tokens", "token:create", Kind::collection, 201, 201},
      {"DELETE", "/v1/tokens/{id}", "token:revoke", Kind::object, 204, 204},
      {"GET", "/v1/audit", "audit:read", Kind::collection, 200, 200},
      {"POST", "/v1/auth/approles", "approle:create", Kind::collection, 201, 201},
      {"GET", "/v1/auth/approles", "approle:read", Kind::collection, 200, 200},
      {"POST", "/v1/auth/approles/{id}/secret-id", "approle:create", Kind::object, 201, 201},
      {"DELETE", "/v1/auth/approles/{id}", "approle:delete", Kind::object, 204, 204},
      {"GET", "/v1/certificates/{id}/current", "cert:read", Kind::object, 200, 404},
      {"GET", "/v1/certificates/updates?since=2020-01-01T00:00:00Z", "cert:read", Kind::collection, 200, 200},
      {"POST", "/v1/renewals/run", "renewal:run", Kind::collection, 200, 200},
      {"GET", "/v1/renewals/due", "cert:read", Kind::collection, 200, 200},
      {"GET", "/v1/notifications", "notification:read", Kind::collection, 200, 200},
      // Secret paths are the tenant's own: another tenant is reached only by naming it (?tenant=);
      // an application reaches only the folder of its service, the rest does not exist for it.
      {"GET", "/v1/secrets", "secret:read", Kind::collection, 200, 200},
      {"PUT", "/v1/secrets/svc/k", "secret:write", Kind::collection, 200, 404, "/v1/secrets/other/k"},
      {"GET", "/v1/secrets/svc/k", "secret:read", Kind::collection, 200, 404, "/v1/secrets/other/k"},
      {"DELETE", "/v1/secrets/svc/k", "secret:delete", Kind::collection, 204, 404, "/v1/secrets/other/k"},
  };
  int checked = 0, counter = 0;
  for (const auto& route : routes) {
    // Fresh targets for each route, so that revoking does not change another route's outcome.
    Targets targets;
    if (route.path.find("/v1/tokens/") == 0) {
      targets = {token_id_in("alpha"), token_id_in("alpha"), token_id_in("beta")};
    } else if (route.path.find("/v1/auth/approles/") == 0) {
      targets = {approle_in("alpha"), approle_in("alpha"), approle_in("beta")};
    } else if (route.path.find("{id}") != std::string::npos) {
      const bool request = route.path.find("/v1/requests/") == 0;
      auto pick = [&](const std::string& slug, const std::string& service) {
        const auto [id, request_id] = certificate(slug, service);
        return request ? request_id : id;
      };
      targets = {pick("alpha", "svc"), pick("alpha", "other"), pick("beta", "svc")};
    }
    for (const auto& [role, token] : tokens) {
      for (const bool other_tenant : {false, true}) {
        for (const bool other_service : {false, true}) {
          std::string path = route.path;
          json body = nullptr;
          if (route.kind == Kind::object) {
            // A certificate is renewed once (then its successor is): each renewal gets its own.
            if (route.path.ends_with("/renew"))
              targets = {certificate("alpha", "svc").first, certificate("alpha", "other").first, certificate("beta", "svc").first};
            const std::string& id = other_tenant ? targets.other_tenant : other_service ? targets.other_service : targets.own;
            path.replace(path.find("{id}"), 4, id);
            if (route.path.ends_with("/revoke")) body = {{"reason", "superseded"}};
          } else {
            if (other_service && !route.other_service_path.empty()) path = route.other_service_path;
            if (other_tenant) path += (path.find('?') == std::string::npos ? "?" : "&") + std::string("tenant=beta");
            if (route.path.starts_with("/v1/secrets/")) {
              body = route.method == "PUT" ? json{{"data", "v"}} : json(nullptr);
              // A secret to read or delete, whoever calls: a fresh version each time.
              ASSERT_EQ(call("PUT", path, *admin_, {{"data", "v"}}).first, 200) << path;
            }
            if (route.path == "/v1/certificates" && route.method == "POST")
              body = {{"common_name", "n.test"}, {"service", other_service ? "other" : "svc"}, {"key", {{"type", "ecdsa"}}}};
            if (route.path == "/v1/tenants" && route.method == "POST") body = {{"slug", "t" + std::to_string(++counter)}};
            if (route.path == "/v1/tokens" && route.method == "POST") body = {{"roles", {"auditor"}}};
            if (route.path == "/v1/auth/approles" && route.method == "POST")
              body = {{"name", "r" + std::to_string(++counter)}, {"roles", {"auditor"}}};
          }
          const auto [status, answer] = call(route.method, path, token, body);
          EXPECT_EQ(status, expected_status(route, role, other_service, other_tenant))
              << route.method << " " << path << " as " << role << (other_service ? ", other service" : "")
              << (other_tenant ? ", other tenant" : "") << ": " << answer;
          ++checked;
        }
      }
    }
    // And nobody without a token gets anywhere.
    std::string path = route.path;
    if (path.find("{id}") != std::string::npos) path.replace(path.find("{id}"), 4, targets.own);
    EXPECT_EQ(call(route.method, path, "").first, 401) << route.method << " " << path;
  }
  EXPECT_EQ(checked, static_cast<int>(routes.size() * kExpectedGrants.size() * 4));
}

}  // namespace
}  // namespace signet::test
