// The OpenAPI 3.1 document of the HTTP API (GET /v1/openapi.json), built
// from the router's own route table so that it cannot drift from what is
// served: every route's method, path, path parameters, security and the
// error responses of its codes (http/errors.cpp) come from the table; the
// words and schemas come from host/openapi/signet-api.yaml, keyed by
// "METHOD /pattern". A route the file does not describe, or a description
// of a route that does not exist, is a problem the host logs at start and
// the tests fail on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/router.hpp"

namespace signet::host {

struct OpenApiDocument {
  nlohmann::json document;
  std::vector<std::string> problems;  // "GET /v1/x: not described in signet-api.yaml", ...
};

// source: the text of signet-api.yaml; server_url: where clients reach the
// host (server.public_url), or empty: relative to the document.
OpenApiDocument build_openapi(const std::vector<Router::RouteInfo>& routes, std::string_view source,
                              const std::string& version, const std::string& server_url);

// The signet-api.yaml compiled into the host.
std::string_view openapi_source();

// Adds GET /v1/openapi.json and builds its document from every route added
// so far: call it after all others. Returns the document's problems.
std::vector<std::string> add_openapi_route(Router& router, const std::string& server_url);

}  // namespace signet::host
