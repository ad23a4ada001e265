// The OpenAPI document is built from the route table: every route is in it
// with its path parameters, security and the error responses of its codes,
// whatever the YAML says; the YAML's drift either way is a problem reported.
#include <gtest/gtest.h>

#include "api/openapi.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

const std::vector<Router::RouteInfo> kRoutes = {
    {http::verb::get, "/health", "", true},
    {http::verb::get, "/v1/certificates/{id}", "cert:read", false},
    {http::verb::post, "/v1/certificates/{id}/revoke", "cert:revoke", false},
    {http::verb::put, "/v1/secrets/{*path}", "secret:write", false},
    {http::verb::post, "/v1/test/clock", "test:clock", false},
};

constexpr std::string_view kSource = R"(
info: {title: Signet API, description: test}
components:
  schemas:
    Error: {type: object}
operations:
  "GET /health":
    summary: Alive
    responses: {"200": {description: ok}}
  "GET /v1/certificates/{id}":
    summary: One certificate
    path_parameters: {id: "The certificate's id"}
    parameters: [{name: fields, in: query, schema: {type: string}}]
    responses: {"200": {description: it}}
    errors: [not_found, invalid_argument]
  "POST /v1/certificates/{id}/revoke":
    summary: Revoke
    responses: {"200": {description: revoked}}
    errors: [not_found, invalid_reason, no_such_code]
  "PUT /v1/secrets/{*path}":
    summary: Write a secret
  "DELETE /v1/gone":
    summary: A route that was removed
  "GET /v1/session":
    summary: Only with the dashboard on
    only_when: ui.enabled
not_documented:
  "POST /v1/test/clock": tests only
)";

TEST(OpenApi, EveryRouteIsAPathWithItsParametersAndSecurity) {
  const auto built = build_openapi(kRoutes, kSource, "1.2.3", "");
  const json& doc = built.document;
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["info"]["version"], "1.2.3");
  EXPECT_FALSE(doc.contains("servers"));
  EXPECT_EQ(doc["paths"]["/health"]["get"]["security"], json::array());
  const json& get = doc["paths"]["/v1/certificates/{id}"]["get"];
  ASSERT_EQ(get["parameters"].size(), 2u);
  EXPECT_EQ(get["parameters"][0], json({{"name", "id"}, {"in", "path"}, {"required", true},
                                        {"schema", {{"type", "string"}}}, {"description", "The certificate's id"}}));
  EXPECT_EQ(get["parameters"][1]["name"], "fields");
  EXPECT_EQ(get["x-signet-permission"], "cert:read");
  EXPECT_EQ(get["security"].size(), 3u);
  EXPECT_FALSE(get.contains("path_parameters"));
  EXPECT_FALSE(get.contains("errors"));
  // "{*path}" is one parameter that may hold slashes.
  const json& put = doc["paths"]["/v1/secrets/{path}"]["put"];
  EXPECT_EQ(put["parameters"][0]["name"], "path");
  EXPECT_NE(put["parameters"][0]["description"].get<std::string>().find("slashes"), std::string::npos);
  EXPECT_FALSE(doc["paths"].contains("/v1/test/clock"));
}

TEST(OpenApi, ErrorCodesAreGroupedByTheirStatus) {
  const auto built = build_openapi(kRoutes, kSource, "1", "https://signet.example.com");
  EXPECT_EQ(built.document["servers"][0]["url"], "https://signet.example.com");
  const json& responses = built.document["paths"]["/v1/certificates/{id}"]["get"]["responses"];
  auto codes = [&](const std::string& status) {
    return responses.at(status)["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"];
  };
  EXPECT_EQ(codes("404"), json({"not_found"}));
  EXPECT_EQ(codes("400"), json({"invalid_argument"}));
  EXPECT_EQ(codes("401"), json({"unauthenticated"}));
  EXPECT_EQ(codes("403"), json({"permission_denied", "csrf_failed"}));
  EXPECT_EQ(codes("429"), json({"rate_limited"}));
  EXPECT_EQ(codes("500"), json({"internal"}));
  EXPECT_EQ(responses["200"]["description"], "it");
  const json& revoke = built.document["paths"]["/v1/certificates/{id}/revoke"]["post"]["responses"];
  EXPECT_EQ(revoke["400"]["content"]["application/json"]["schema"]["properties"]["error"]["properties"]["code"]["enum"],
            json({"invalid_reason"}));
  // An open route is never refused for who calls it, nor throttled.
  const json& health = built.document["paths"]["/health"]["get"]["responses"];
  EXPECT_FALSE(health.contains("401"));
  EXPECT_FALSE(health.contains("403"));
  EXPECT_FALSE(health.contains("429"));
}

TEST(OpenApi, DriftEitherWayIsAProblem) {
  auto routes = kRoutes;
  routes.push_back({http::verb::get, "/v1/new", "cert:read", false});
  const auto built = build_openapi(routes, kSource, "1", "");
  const std::vector<std::string> expected = {
      "POST /v1/certificates/{id}/revoke: error code \"no_such_code\" is not in http/errors.cpp",
      "GET /v1/new: not described in signet-api.yaml",
      "DELETE /v1/gone: described in signet-api.yaml but not routed",
  };
  EXPECT_EQ(built.problems, expected);  // GET /v1/session says when it is routed
  // The undescribed route is still in the document, so clients see it.
  EXPECT_TRUE(built.document["paths"]["/v1/new"].contains("get"));
}

TEST(OpenApi, TheCompiledInDescriptionMatchesTheRoutesItNames) {
  // Every key of the real file is "METHOD /path" and parses: a typo there
  // is caught here, the routes themselves by the e2e test on a live host.
  const auto built = build_openapi({}, openapi_source(), "1", "");
  for (const auto& problem : built.problems)
    EXPECT_NE(problem.find("but not routed"), std::string::npos) << problem;
  EXPECT_TRUE(built.document["components"]["schemas"].contains("Error"));
}

}  // namespace
}  // namespace signet::host
