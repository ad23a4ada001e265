#include "pipeline/issue_body.hpp"

#include <algorithm>

#include "util/time.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// {"type": "ecdsa", "curve": "P-256"}, {"type": "rsa", "bits": 2048},
// {"type": "ed25519"}; missing fields come from the profile.
std::optional<HostError> read_key(const json& key, IssueInput& in) {
  const HostError shape{"invalid_request", R"(key must look like {"type": "ecdsa", "curve": "P-256"}, {"type": "rsa", "bits": 2048} or {"type": "ed25519"})"};
  if (!key.is_object()) return shape;
  for (const auto& [name, value] : key.items()) {
    if (name != "type" && name != "bits" && name != "curve") return HostError{"invalid_request", "key has no field " + name};
    if ((name == "bits") != value.is_number_integer() || (name != "bits" && !value.is_string())) return shape;
  }
  in.key_type = key.value("type", "");
  if (in.key_type == "ec") in.key_type = "ecdsa";
  if (!in.key_type.empty() && in.key_type != "rsa" && in.key_type != "ecdsa" && in.key_type != "ed25519")
    return HostError{"invalid_request", "key.type must be rsa, ecdsa or ed25519"};
  in.key_bits = key.value("bits", 0);
  in.key_curve = key.value("curve", "");
  return std::nullopt;
}

}  // namespace

// `where` prefixes the key in messages ("sans.").
std::optional<HostError> read_string_list(const json& j, const char* key, std::vector<std::string>& out,
                                         const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  if (!j.at(key).is_array()) return HostError{"invalid_request", where + key + " must be a list of strings"};
  for (const auto& v : j.at(key)) {
    if (!v.is_string()) return HostError{"invalid_request", where + key + " must be a list of strings"};
    out.push_back(v.get<std::string>());
  }
  return std::nullopt;
}


// The key material of a request: a CSR, or what the host should generate.
std::optional<HostError> read_key_source(const json& body, IssueInput& in, std::string& csr_text) {
  if (body.contains("csr") && !body.at("csr").is_string()) return HostError{"invalid_request", "csr must be a string"};
  const bool has_csr = body.contains("csr"), has_key = body.contains("key") && !body.at("key").is_null();
  if (has_csr && has_key) return HostError{"invalid_request", "give either csr or key, not both"};
  if (has_key) return read_key(body.at("key"), in);
  if (!has_csr) return std::nullopt;  // the profile's default key, made here
  csr_text = body.at("csr").get<std::string>();
  auto csr = parse_csr(csr_text);
  if (const auto* rejected = std::get_if<Rejection>(&csr)) return HostError{rejected->code, rejected->message};
  in.csr = std::get<CsrInfo>(csr);
  return std::nullopt;
}

std::optional<HostError> read_issue_body(const json& body, IssueInput& in, json& metadata, std::string& csr_text) {
  if (!body.is_object()) return HostError{"invalid_request", "the body must be a JSON object"};
  for (const char* key : {"profile", "common_name", "ttl"})
    if (body.contains(key) && !body.at(key).is_string())
      return HostError{"invalid_request", std::string(key) + " must be a string"};
  in.profile = body.value("profile", "default");
  in.common_name = body.value("common_name", "");
  if (body.contains("ttl")) {
    const auto ttl = parse_duration(body.at("ttl").get<std::string>());
    if (!ttl) return HostError{"invalid_request", "ttl must be a duration such as 720h or 90d"};
    in.ttl = *ttl;
  }
  const json sans = body.value("sans", json::object());
  if (!sans.is_object()) return HostError{"invalid_request", "sans must be an object"};
  for (auto [key, list] : {std::pair{"dns", &in.dns}, {"ip", &in.ip}, {"email", &in.email}, {"uri", &in.uri}})
    if (auto e = read_string_list(sans, key, *list)) return e;
  metadata = body.value("metadata", json::object());
  if (!metadata.is_object()) return HostError{"invalid_request", "metadata must be an object"};
  if (auto e = read_lifecycle_fields(body, in)) return e;
  return read_key_source(body, in, csr_text);
}

std::optional<HostError> read_external_ref(const json& body, json& ref) {
  const auto it = body.find("external_ref");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return HostError{"invalid_request", "external_ref must be an object {system, id, number}"};
  // The printable ASCII a sys_id or ticket number holds; limits as the external_refs columns.
  auto text = [&](const char* key, std::size_t max, bool required) -> std::optional<HostError> {
    const auto v = it->find(key);
    if (v == it->end() && !required) return std::nullopt;
    const bool ok = v != it->end() && v->is_string() && !v->get<std::string>().empty() && v->get<std::string>().size() <= max &&
                    std::all_of(v->get_ref<const std::string&>().begin(), v->get_ref<const std::string&>().end(),
                                [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
    if (ok) return std::nullopt;
    return HostError{"invalid_request", "external_ref." + std::string(key) + " must be 1 to " + std::to_string(max) +
                                            " printable ASCII characters"};
  };
  for (const auto& [key, value] : it->items())
    if (key != "system" && key != "id" && key != "number" && key != "approval")
      return HostError{"invalid_request", "external_ref takes system, id, number and approval; not " + key.substr(0, 40)};
  if (auto e = text("system", 40, true)) return e;
  if (auto e = text("id", 200, true)) return e;
  if (auto e = text("number", 100, false)) return e;
  ref = {{"system", it->at("system")}, {"id", it->at("id")}, {"number", it->value("number", "")}};
  return std::nullopt;
}

// "auto_renew": true|false (absent: the profile's), "not_after_use": RFC 3339.
std::optional<HostError> read_lifecycle_fields(const json& body, IssueInput& in) {
  if (body.contains("auto_renew")) {
    if (!body.at("auto_renew").is_boolean()) return HostError{"invalid_request", "auto_renew must be true or false"};
    in.auto_renew = body.at("auto_renew").get<bool>();
  }
  if (body.contains("not_after_use") && !body.at("not_after_use").is_null()) {
    const json& v = body.at("not_after_use");
    const auto t = v.is_string() ? parse_rfc3339(v.get<std::string>()) : std::nullopt;
    if (!t) return HostError{"invalid_request", "not_after_use must be an RFC 3339 UTC time such as 2027-01-31T00:00:00Z"};
    in.not_after_use = *t;
  }
  return std::nullopt;
}

}  // namespace signet::host
