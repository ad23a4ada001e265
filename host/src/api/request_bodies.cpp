#include "api/request_bodies.hpp"

#include "pipeline/revoke_request.hpp"
#include "util/time.hpp"

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

// {"type": "ecdsa", "curve": "P-256"}, {"type": "rsa", "bits": 2048},
// {"type": "ed25519"}; missing fields come from the profile.
std::optional<ApiError> read_key(const json& key, IssueInput& in) {
  const ApiError shape{"invalid_request", R"(key must look like {"type": "ecdsa", "curve": "P-256"}, {"type": "rsa", "bits": 2048} or {"type": "ed25519"})"};
  if (!key.is_object()) return shape;
  for (const auto& [name, value] : key.items()) {
    if (name != "type" && name != "bits" && name != "curve") return ApiError{"invalid_request", "key has no field " + name};
    if ((name == "bits") != value.is_number_integer() || (name != "bits" && !value.is_string())) return shape;
  }
  in.key_type = key.value("type", "");
  if (in.key_type == "ec") in.key_type = "ecdsa";
  if (!in.key_type.empty() && in.key_type != "rsa" && in.key_type != "ecdsa" && in.key_type != "ed25519")
    return ApiError{"invalid_request", "key.type must be rsa, ecdsa or ed25519"};
  in.key_bits = key.value("bits", 0);
  in.key_curve = key.value("curve", "");
  return std::nullopt;
}

std::string reason_list() {
  std::string out;
  for (const auto& n : revocation_reason_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

// The key material of a request: a CSR, or what the host should generate.
std::optional<ApiError> read_key_source(const json& body, IssueInput& in, std::string& csr_text) {
  if (body.contains("csr") && !body.at("csr").is_string()) return ApiError{"invalid_request", "csr must be a string"};
  const bool has_csr = body.contains("csr"), has_key = body.contains("key") && !body.at("key").is_null();
  if (has_csr && has_key) return ApiError{"invalid_request", "give either csr or key, not both"};
  if (has_key) return read_key(body.at("key"), in);
  if (!has_csr) return std::nullopt;  // the profile's default key, made here
  csr_text = body.at("csr").get<std::string>();
  auto csr = parse_csr(csr_text);
  if (const auto* rejected = std::get_if<Rejection>(&csr)) return ApiError{rejected->code, rejected->message};
  in.csr = std::get<CsrInfo>(csr);
  return std::nullopt;
}

std::optional<ApiError> read_issue_body(const json& body, IssueInput& in, json& metadata, std::string& csr_text) {
  if (!body.is_object()) return ApiError{"invalid_request", "the body must be a JSON object"};
  for (const char* key : {"profile", "common_name", "ttl"})
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
  return read_key_source(body, in, csr_text);
}


std::optional<ApiError> read_revoke_body(const std::string& text, std::string& reason, bool& all_with_same_key) {
  const json body = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return ApiError{"invalid_json", "the body must be a JSON object"};
  for (const auto& [name, value] : body.items()) {
    if (name == "reason" && value.is_string()) reason = value.get<std::string>();
    else if (name == "all_with_same_key" && value.is_boolean()) all_with_same_key = value.get<bool>();
    else return ApiError{"invalid_request", "a revocation takes reason (a string) and all_with_same_key (a boolean)"};
  }
  if (!revocation_reason_from(reason))
    return ApiError{"invalid_reason", "unknown revocation reason \"" + reason + "\"; use one of " + reason_list()};
  if (all_with_same_key && reason != "key_compromise")
    return ApiError{"invalid_request", "all_with_same_key applies to the key_compromise reason only"};
  return std::nullopt;
}

}  // namespace signet::host
