#include "api/api.hpp"
#include "api/views.hpp"
#include "pipeline/issue_request.hpp"
#include "pipeline/policy.hpp"
#include <pkix/csr.hpp>
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

std::optional<ApiError> read_strings(const json& j, const char* key, std::vector<std::string>& out) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  if (!j.at(key).is_array()) return ApiError{"invalid_request", std::string("sans.") + key + " must be a list of strings"};
  for (const auto& v : j.at(key)) {
    if (!v.is_string()) return ApiError{"invalid_request", std::string("sans.") + key + " must be a list of strings"};
    out.push_back(v.get<std::string>());
  }
  return std::nullopt;
}

std::optional<ApiError> read_body(const json& body, IssueInput& in, json& metadata) {
  if (!body.is_object()) return ApiError{"invalid_request", "the body must be a JSON object"};
  for (const char* key : {"profile", "common_name", "ttl", "csr"})
    if (body.contains(key) && !body.at(key).is_string())
      return ApiError{"invalid_request", std::string(key) + " must be a string"};
  in.profile = body.value("profile", "default");
  in.common_name = body.value("common_name", "");
  if (body.contains("ttl")) {
    const auto ttl = parse_duration(body.at("ttl").get<std::string>());
    if (!ttl) return ApiError{"invalid_request", "ttl must be a duration such as 720h or 90d"};
    in.ttl = *ttl;
  }
  const json sans = body.value("sans", json::object());
  if (!sans.is_object()) return ApiError{"invalid_request", "sans must be an object"};
  for (auto [key, list] : {std::pair{"dns", &in.dns}, {"ip", &in.ip}, {"email", &in.email}, {"uri", &in.uri}})
    if (auto e = read_strings(sans, key, *list)) return e;
  metadata = body.value("metadata", json::object());
  if (!metadata.is_object()) return ApiError{"invalid_request", "metadata must be an object"};
  if (!body.contains("csr"))
    return ApiError{"unsupported", "server-side key generation comes with the internal CA; send a csr"};
  auto csr = parse_csr(body.at("csr").get<std::string>());
  if (const auto* rejected = std::get_if<Rejection>(&csr)) return ApiError{rejected->code, rejected->message};
  in.csr = std::get<CsrInfo>(csr);
  return std::nullopt;
}

json pipeline_input(const IssueInput& in, const ProfileConfig& profile, const std::string& csr, const json& metadata) {
  return to_json(IssueRequest{in.profile, in.common_name, in.dns, in.ip, in.email, in.uri, in.ttl, profile.max_ttl, csr,
                              profile.key_usage, profile.extended_key_usage, metadata});
}

HttpResponseMessage issue(RequestContext& context, const ApiDependencies& deps) {
  if (!deps.runner.has_pipeline("issue"))
    return error_response({"not_configured", "no issue pipeline is configured on this host"}, context.request_id);
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(api_error(tenant.error()), context.request_id);
  const json body = json::parse(context.message.body(), nullptr, false);
  if (body.is_discarded()) return error_response({"invalid_json", "the body is not valid JSON"}, context.request_id);
  IssueInput in;
  json metadata;
  if (auto e = read_body(body, in, metadata)) return error_response(*e, context.request_id);
  const ProfileConfig* profile = deps.config.profile(in.profile);
  if (!profile) return error_response({"unknown_profile", "no profile " + in.profile}, context.request_id);
  if (auto rejected = check_policy(*profile, in)) return error_response({rejected->code, rejected->message}, context.request_id);

  RequestRecord q;
  q.id = new_id("req");
  q.tenant_id = tenant.value();
  q.operation = "issue";
  q.principal = context.principal->id;
  q.input = pipeline_input(in, *profile, body.at("csr").get<std::string>(), metadata);
  q.state = {{"certificate_id", new_id("crt")}};
  auto ran = deps.runner.submit(std::move(q), deps.config.runner.sync_wait);
  if (!ran) return error_response(api_error(ran.error()), context.request_id);
  const RequestRecord& done = ran.value();
  if (done.status == RequestStatus::succeeded) return json_response(http::status::created, issued_view(done));
  if (done.status == RequestStatus::failed)
    return error_response({done.error_code, done.error_message}, context.request_id);
  return json_response(http::status::accepted, {{"request_id", done.id}, {"status", "pending"}});
}

}  // namespace

void add_certificate_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::post, "/v1/certificates", [deps](RequestContext& c) { return issue(c, deps); });
}

}  // namespace signet::host
