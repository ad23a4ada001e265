// The router's gate: no route without a permission; the credentials it
// reads off a request (the bearer token, the source) go to authentication
// as plain values; what authorization answers reaches the handler as
// context.access; a refusal stops the request before its handler.
#include <gtest/gtest.h>

#include "http/router.hpp"

namespace signet::host {
namespace {

struct Call {
  explicit Call(const std::string& authorization) {
    message.method(http::verb::get);
    message.target("/v1/x");
    if (!authorization.empty()) message.set(http::field::authorization, authorization);
  }
  HttpRequestMessage message;
  RequestContext context{message, "rid", "192.0.2.7", "/v1/x", {}, {}, std::nullopt};
};

// A router whose gate says what it was shown, and a route that says what access it was given.
struct GatedRouter {
  GatedRouter(std::variant<Principal, HostError> who, std::variant<Access, HostError> how)
      : router([this, who](const Credentials& c) { shown = c; return who; },
               [this, how](const Principal&, const std::string& permission) {
                 asked = permission;
                 return how;
               }) {
    router.add(http::verb::get, "/v1/x", [this](RequestContext& c) {
      handled = c.access;
      return json_response(http::status::ok, {});
    }, {.permission = "cert:read"});
  }
  Credentials shown;
  std::string asked;
  std::optional<Access> handled;
  Router router;
};

Principal caller() { return Principal{"tok_1", "ten_1", "default", {"service_account"}, "web", "token"}; }

TEST(Router, HandsTheCredentialsToAuthenticationAndTheAccessToTheHandler) {
  GatedRouter gate(caller(), Access::own);
  Call call("Bearer sgt_secret");
  const auto response = gate.router.dispatch(call.context);
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(gate.shown.bearer_token, "sgt_secret");
  EXPECT_EQ(gate.shown.source, "192.0.2.7");
  EXPECT_EQ(gate.shown.request_id, "rid");
  EXPECT_EQ(gate.asked, "cert:read");
  EXPECT_EQ(gate.handled, Access::own);
  ASSERT_TRUE(call.context.principal);
  EXPECT_EQ(call.context.principal->service, "web");
}

TEST(Router, AnAuthorizationOtherThanBearerIsNoToken) {
  GatedRouter gate(HostError{"unauthenticated", "missing bearer token"}, Access::all);
  Call call("Basic dXNlcjpwYXNz");
  const auto response = gate.router.dispatch(call.context);
  EXPECT_EQ(response.result(), http::status::unauthorized);
  EXPECT_EQ(response[http::field::www_authenticate], "Bearer realm=\"signet\"");
  EXPECT_FALSE(gate.shown.bearer_token.has_value());
  EXPECT_FALSE(gate.handled.has_value());
}

TEST(Router, ARefusalOfAuthorizationStopsTheRequestBeforeItsHandler) {
  GatedRouter gate(caller(), HostError{"permission_denied", "no"});
  Call call("Bearer sgt_secret");
  const auto response = gate.router.dispatch(call.context);
  EXPECT_EQ(response.result(), http::status::forbidden);
  EXPECT_NE(response.body().find("\"permission_denied\""), std::string::npos);
  EXPECT_FALSE(gate.handled.has_value());
}

TEST(Router, RefusesARouteThatIsNeitherOpenNorGuarded) {
  Router router([](const Credentials&) -> std::variant<Principal, HostError> { return Principal{}; },
                [](const Principal&, const std::string&) -> std::variant<Access, HostError> { return Access::all; });
  const Handler handler = [](RequestContext&) { return json_response(http::status::ok, {}); };
  EXPECT_THROW(router.add(http::verb::get, "/v1/x", handler, {}), std::logic_error);
  EXPECT_THROW(router.add(http::verb::get, "/v1/x", handler, {.permission = "cert"}), std::logic_error);
  EXPECT_NO_THROW(router.add(http::verb::get, "/v1/x", handler, {.permission = "cert:read"}));
  EXPECT_NO_THROW(router.add(http::verb::get, "/open", handler, {.permission = {}, .open = true}));
  ASSERT_EQ(router.routes().size(), 2u);
  EXPECT_EQ(router.routes()[0].permission, "cert:read");
}

}  // namespace
}  // namespace signet::host
