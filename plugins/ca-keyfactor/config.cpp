#include "config.hpp"

#include <encoding/url.hpp>

namespace signet::keyfactor {
namespace {

using nlohmann::json;

// A map of names (the schema says "object"; each value is checked here).
std::map<std::string, std::string> string_map(const json& j, const std::string& pointer, std::vector<ConfigProblem>& problems) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string() && !value.get<std::string>().empty()) out[key] = value.get<std::string>();
    else problems.push_back({pointer + "/" + key, "must be a non-empty string"});
  }
  return out;
}

void read_auth(const json& a, AuthConfig& out, std::vector<ConfigProblem>& problems) {
  const std::string type = a.value("type", "basic");
  out.type = type == "oauth" ? AuthType::oauth : type == "client_certificate" ? AuthType::client_certificate : AuthType::basic;
  out.username = a.value("username", "");
  out.password = a.value("password", "");
  out.token_url = a.value("token_url", "");
  out.client_id = a.value("client_id", "");
  out.client_secret = a.value("client_secret", "");
  out.scope = a.value("scope", "");
  out.audience = a.value("audience", "");
  out.ca_file = a.value("ca_file", "");
  auto need = [&](const std::string& value, const char* key) {
    if (value.empty()) problems.push_back({std::string("/auth/") + key, std::string(key) + " is required for auth type " + type});
  };
  if (out.type == AuthType::basic) {
    need(out.username, "username");
    need(out.password, "password");
  } else if (out.type == AuthType::oauth) {
    need(out.token_url, "token_url");
    if (!out.token_url.empty() && out.token_url.rfind("https://", 0) != 0 &&
        !(out.token_url.rfind("http://", 0) == 0 && encoding::loopback_url(out.token_url)))
      problems.push_back({"/auth/token_url", "must be an https:// URL (the client secret would travel in clear)"});
    need(out.client_id, "client_id");
    need(out.client_secret, "client_secret");
  }
}

void read_command(const json& c, CommandConfig& out, std::vector<ConfigProblem>& problems) {
  out.certificate_authority = c.value("certificate_authority", "");
  out.template_name = c.value("template", "");
  const json templates = c.value("templates", json::object());
  out.profile_templates = string_map(templates, "/command/templates", problems);
  out.api_version = c.value("api_version", "1");
  out.template_validity = std::chrono::hours(c.value("template_validity_hours", 0));
  const json metadata = c.value("metadata", json::object());
  const json fields = metadata.value("fields", json::object());
  out.request_id_field = metadata.value("request_id", "SignetRequestId");
  out.metadata_fields = string_map(fields, "/command/metadata/fields", problems);
  if (out.certificate_authority.empty())
    problems.push_back({"/command/certificate_authority", "the CA to enrol with is required (\"host\\\\logical name\")"});
  if (out.template_name.empty()) problems.push_back({"/command/template", "the template to enrol with is required"});
}

EjbcaProfiles profiles_of(const json& p) {
  auto text = [&](const char* key) { return p.is_object() && p.contains(key) && p[key].is_string() ? p[key].get<std::string>() : ""; };
  return {text("certificate_profile"), text("end_entity_profile")};
}

void read_ejbca(const json& e, EjbcaConfig& out, std::vector<ConfigProblem>& problems) {
  out.ca_name = e.value("ca_name", "");
  out.profiles = profiles_of(e);
  const json by_profile = e.value("profiles", json::object());
  for (const auto& [profile, p] : by_profile.items()) {
    out.by_profile[profile] = profiles_of(p);
    if (out.by_profile[profile].certificate_profile.empty() || out.by_profile[profile].end_entity_profile.empty())
      problems.push_back({"/ejbca/profiles/" + profile, "needs certificate_profile and end_entity_profile"});
  }
  out.username_prefix = e.value("username_prefix", out.username_prefix);
  if (out.ca_name.empty()) problems.push_back({"/ejbca/ca_name", "the CA's name is required"});
  if (out.profiles.certificate_profile.empty())
    problems.push_back({"/ejbca/certificate_profile", "the certificate profile is required"});
  if (out.profiles.end_entity_profile.empty())
    problems.push_back({"/ejbca/end_entity_profile", "the end entity profile is required"});
}

}  // namespace

Result<KeyfactorConfig> read_config(const json& config) {
  KeyfactorConfig c;
  std::vector<ConfigProblem> problems;
  c.api = config.value("api", "command") == "ejbca" ? Api::ejbca : Api::command;
  std::string url = config.value("url", "");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("https://", 0) != 0 && !(url.rfind("http://", 0) == 0 && encoding::loopback_url(url)))
    problems.push_back({"/url", "must be an https:// URL (http:// only to this machine: credentials would travel in clear)"});
  std::string base_path = config.value("base_path", c.api == Api::command ? "/KeyfactorAPI" : "/ejbca/ejbca-rest-api");
  if (!base_path.empty() && base_path.front() != '/') base_path.insert(base_path.begin(), '/');
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  c.base_url = url + base_path;
  c.http.ca_file = config.value("ca_file", "");
  c.http.client_cert_file = config.value("client_cert_file", "");
  c.http.client_key_file = config.value("client_key_file", "");
  c.http.timeout = std::chrono::seconds(config.value("timeout_seconds", 30));
  c.http.connect_timeout = std::min<std::chrono::milliseconds>(c.http.timeout, std::chrono::seconds(10));
  if (c.http.client_cert_file.empty() != c.http.client_key_file.empty())
    problems.push_back({"/client_key_file", "give client_cert_file and client_key_file together"});
  read_auth(config.value("auth", json::object()), c.auth, problems);
  if (c.auth.type == AuthType::client_certificate && c.http.client_cert_file.empty())
    problems.push_back({"/client_cert_file", "auth type client_certificate needs client_cert_file and client_key_file"});
  if (c.api == Api::command) read_command(config.value("command", json::object()), c.command, problems);
  else read_ejbca(config.value("ejbca", json::object()), c.ejbca, problems);
  if (c.api == Api::command && c.auth.type == AuthType::client_certificate)
    problems.push_back({"/auth/type", "Keyfactor Command takes basic or oauth"});
  c.chain_file = config.value("chain_file", "");
  const json status = config.value("status_urls", json::object());
  c.crl_url = status.value("crl", "");
  c.ocsp_url = status.value("ocsp", "");
  c.health_interval = std::chrono::seconds(config.value("health_interval_seconds", 60));
  c.poll_interval = std::chrono::seconds(config.value("poll_interval_seconds", 30));
  if (!problems.empty()) {
    Error e = make_error(ErrorCode::invalid_config, "invalid ca-keyfactor configuration");
    e.problems = std::move(problems);
    return e;
  }
  return c;
}

const char* const kConfigSchema = R"json({
  "type": "object",
  "properties": {
    "api": {"enum": ["command", "ejbca"], "description": "Keyfactor Command, or EJBCA's REST API v1"},
    "url": {"type": "string", "minLength": 1, "description": "the server's base URL (scheme, host, port)"},
    "base_path": {"type": "string", "description": "default /KeyfactorAPI (command) or /ejbca/ejbca-rest-api (ejbca)"},
    "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle that verifies the server's TLS certificate"},
    "client_cert_file": {"type": "string", "minLength": 1},
    "client_key_file": {"type": "string", "minLength": 1},
    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300},
    "health_interval_seconds": {"type": "integer", "minimum": 1, "maximum": 86400},
    "poll_interval_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
    "chain_file": {"type": "string", "minLength": 1, "description": "PEM: the CA chain, issuing CA first"},
    "status_urls": {"type": "object", "additionalProperties": false,
                    "properties": {"crl": {"type": "string"}, "ocsp": {"type": "string"}}},
    "auth": {
      "type": "object",
      "properties": {
        "type": {"enum": ["basic", "oauth", "client_certificate"]},
        "username": {"type": "string", "description": "basic; DOMAIN\\user for Command"},
        "password": {"type": "string"},
        "token_url": {"type": "string", "description": "oauth: the identity provider's token endpoint"},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
        "scope": {"type": "string"},
        "audience": {"type": "string"},
        "ca_file": {"type": "string", "minLength": 1, "description": "oauth: PEM bundle verifying the token endpoint (default: the system store)"}
      },
      "additionalProperties": false
    },
    "command": {
      "type": "object",
      "properties": {
        "certificate_authority": {"type": "string", "description": "host\\logical name"},
        "template": {"type": "string"},
        "templates": {"type": "object", "description": "Signet profile → template name"},
        "api_version": {"type": "string"},
        "template_validity_hours": {"type": "integer", "minimum": 1, "maximum": 876000,
                                    "description": "the template's lifetime: shorter requests are refused"},
        "metadata": {"type": "object", "additionalProperties": false, "properties": {
          "request_id": {"type": "string", "minLength": 1,
                         "description": "the Command metadata field that gets Signet's request id (default SignetRequestId)"},
          "fields": {"type": "object", "description": "request metadata key → Command metadata field"}}}
      },
      "additionalProperties": false
    },
    "ejbca": {
      "type": "object",
      "properties": {
        "ca_name": {"type": "string"},
        "certificate_profile": {"type": "string"},
        "end_entity_profile": {"type": "string"},
        "profiles": {"type": "object",
                     "description": "Signet profile → {certificate_profile, end_entity_profile}"},
        "username_prefix": {"type": "string"}
      },
      "additionalProperties": false
    }
  },
  "required": ["api", "url"],
  "additionalProperties": false
})json";

}  // namespace signet::keyfactor
