#include "api/openapi.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "config/yaml_json.hpp"
#include "http/errors.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

std::string operation_key(const Router::RouteInfo& route) {
  std::string method(http::to_string(route.method));
  return method + " " + route.pattern;
}

// "/v1/secrets/{*path}" → "/v1/secrets/{path}" and its parameters' names.
std::string openapi_path(const std::string& pattern, std::vector<std::pair<std::string, bool>>& parameters) {
  std::string out;
  for (const auto& segment : split_path(pattern)) {
    out += '/';
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      const bool rest = segment[1] == '*';
      const std::string name = segment.substr(rest ? 2 : 1, segment.size() - (rest ? 3 : 2));
      parameters.emplace_back(name, rest);
      out += "{" + name + "}";
    } else {
      out += segment;
    }
  }
  return out.empty() ? "/" : out;
}

json path_parameters(const std::vector<std::pair<std::string, bool>>& names, const json& descriptions) {
  json parameters = json::array();
  for (const auto& [name, rest] : names) {
    std::string description = descriptions.is_object() ? descriptions.value(name, std::string()) : std::string();
    if (rest) description += (description.empty() ? "" : " ") + std::string("It may span several segments: slashes are part of it.");
    json parameter = {{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
    if (!description.empty()) parameter["description"] = description;
    parameters.push_back(parameter);
  }
  return parameters;
}

// The codes a caller of this route may get back besides the route's own: the
// router's refusals before any handler runs (Router::admit), and a crash. A
// session cookie sent from another site's page is refused on any method.
std::vector<std::string> router_codes(const Router::RouteInfo& route) {
  std::vector<std::string> codes{"internal"};
  if (!route.open || route.limit_source) codes.push_back("rate_limited");
  if (!route.open) codes.insert(codes.end(), {"unauthenticated", "permission_denied", "csrf_failed"});
  return codes;
}

// Error responses grouped by status (the one mapping, http/errors.cpp), each
// naming the codes it carries in the schema's enum.
void add_error_responses(json& responses, const std::vector<std::string>& codes, const std::string& key,
                         std::vector<std::string>& problems) {
  std::map<unsigned, std::vector<std::string>> by_status;
  std::set<std::string> seen;
  for (const auto& code : codes) {
    if (!seen.insert(code).second) continue;
    if (!is_known_error_code(code)) problems.push_back(key + ": error code \"" + code + "\" is not in http/errors.cpp");
    by_status[static_cast<unsigned>(status_for(code))].push_back(code);
  }
  for (const auto& [status, group] : by_status) {
    const std::string name = std::to_string(status);
    if (responses.contains(name)) continue;  // the route describes this status itself (GET /ready's 503)
    std::string description = "Refused: ";
    for (std::size_t i = 0; i < group.size(); ++i) description += (i ? ", " : "") + group[i];
    json schema = {{"$ref", "#/components/schemas/Error"},
                   {"properties", {{"error", {{"properties", {{"code", {{"enum", group}}}}}}}}}};
    responses[name] = {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
  }
}

// Open routes authenticate nobody (a permission they name is only what their refusals are audited as).
json security_of(const Router::RouteInfo& route) {
  if (route.open) return json::array();
  return json::array({{{"bearerToken", json::array()}}, {{"sessionCookie", json::array()}},
                      {{"clientCertificate", json::array()}}});
}

json operation_for(const Router::RouteInfo& route, json described, std::vector<std::string>& problems) {
  const std::string key = operation_key(route);
  std::vector<std::pair<std::string, bool>> names;
  openapi_path(route.pattern, names);
  json parameters = path_parameters(names, described.value("path_parameters", json()));
  for (const auto& parameter : described.value("parameters", json::array())) {
    // OpenAPI 3.1 §4.8.10: a name and location appear once per operation.
    const auto same = [&](const json& p) {
      return parameter.contains("name") && p.value("name", "") == parameter.value("name", "") &&
             p.value("in", "") == parameter.value("in", "");
    };
    if (std::any_of(parameters.begin(), parameters.end(), same))
      problems.push_back(key + ": parameter \"" + parameter.value("name", "") + "\" is described twice");
    else
      parameters.push_back(parameter);
  }
  std::vector<std::string> codes = described.value("errors", std::vector<std::string>());
  const auto own = router_codes(route);
  codes.insert(codes.end(), own.begin(), own.end());
  if (described.contains("only_when")) described["x-signet-only-when"] = described["only_when"];
  for (const char* ours : {"path_parameters", "errors", "only_when"}) described.erase(ours);
  if (!parameters.empty()) described["parameters"] = parameters;
  else described.erase("parameters");
  described["security"] = security_of(route);
  if (!route.open) described["x-signet-permission"] = route.permission;
  if (!described.contains("responses")) described["responses"] = json::object();
  add_error_responses(described["responses"], codes, key, problems);
  return described;
}

json security_schemes() {
  return {
      {"bearerToken", {{"type", "http"}, {"scheme", "bearer"},
                       {"description", "An API token (sgt_…) from POST /v1/tokens or `signet token bootstrap`, or one "
                                       "from POST /v1/auth/login."}}},
      {"sessionCookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "signet_session"},
                         {"description", "The dashboard's session (POST /v1/session or the identity provider's "
                                         "sign-in). Calls that change state also send X-CSRF-Token; the Origin must "
                                         "be the host's own."}}},
      {"clientCertificate", {{"type", "mutualTLS"},
                             {"description", "A TLS client certificate whose chain reaches an anchor of "
                                             "server.tls.client_auth (docs/identities.md)."}}},
  };
}

}  // namespace

OpenApiDocument build_openapi(const std::vector<Router::RouteInfo>& routes, std::string_view source,
                              const std::string& version, const std::string& server_url) {
  OpenApiDocument out;
  const json file = json_from_yaml(YAML::Load(std::string(source)));
  const json operations = file.value("operations", json::object());
  const json not_documented = file.value("not_documented", json::object());
  json& doc = out.document;
  doc = {{"openapi", "3.1.0"}, {"info", file.value("info", json::object())}};
  // Without servers, clients resolve paths against where they fetched the document (OpenAPI 3.1 §4.8.1).
  if (!server_url.empty()) doc["servers"] = {{{"url", server_url}}};
  doc["info"]["version"] = version;
  if (file.contains("tags")) doc["tags"] = file["tags"];
  doc["components"] = file.value("components", json::object());
  doc["components"]["securitySchemes"] = security_schemes();
  doc["paths"] = json::object();
  std::set<std::string> routed;
  for (const auto& route : routes) {
    const std::string key = operation_key(route);
    routed.insert(key);
    if (not_documented.contains(key)) continue;
    json described = operations.value(key, json::object());
    if (!operations.contains(key)) {
      out.problems.push_back(key + ": not described in signet-api.yaml");
      described = {{"summary", "Not described"}};
    }
    std::vector<std::pair<std::string, bool>> ignored;
    const std::string path = openapi_path(route.pattern, ignored);
    std::string method(http::to_string(route.method));
    for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    doc["paths"][path][method] = operation_for(route, described, out.problems);
  }
  // Routes some configurations leave out (the dashboard's sign-in) say so.
  for (const auto& [key, operation] : operations.items())
    if (!routed.contains(key) && !operation.contains("only_when"))
      out.problems.push_back(key + ": described in signet-api.yaml but not routed");
  return out;
}

std::vector<std::string> add_openapi_route(Router& router, const std::string& server_url) {
  auto body = std::make_shared<std::string>();
  router.add(http::verb::get, "/v1/openapi.json", [body](RequestContext&) {
    return text_response(http::status::ok, *body, "application/json");
  }, {.permission = {}, .open = true, .inline_ = true});
  auto built = build_openapi(router.routes(), openapi_source(), SIGNET_VERSION, server_url);
  *body = built.document.dump();
  return built.problems;
}

}  // namespace signet::host
