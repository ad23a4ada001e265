// The `vault:` section every Vault plugin shares, read once here.
#include <cstdlib>

#include "encoding/url.hpp"
#include "vault/client.hpp"

namespace signet::vault {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::optional<AuthMethod> method_named(const std::string& name) {
  if (name == "token") return AuthMethod::token;
  if (name == "approle") return AuthMethod::approle;
  if (name == "kubernetes") return AuthMethod::kubernetes;
  if (name == "jwt") return AuthMethod::jwt;
  return std::nullopt;
}

void read_auth(const nlohmann::json& a, const std::string& pointer, AuthConfig& out, std::vector<ConfigProblem>& problems) {
  const std::string method = a.value("method", env("VAULT_TOKEN").empty() || a.contains("role_id") ? "approle" : "token");
  const auto named = method_named(method);
  if (!named) {
    problems.push_back({pointer + "/method", "method must be token, approle, kubernetes or jwt"});
    return;
  }
  out.method = *named;
  out.mount = a.value("mount", "");
  out.token = a.value("token", env("VAULT_TOKEN"));
  out.role_id = a.value("role_id", "");
  out.secret_id = a.value("secret_id", "");
  out.secret_id_wrapped = a.value("secret_id_wrapped", false);
  out.role = a.value("role", "");
  out.jwt_file = a.value("jwt_file", out.method == AuthMethod::kubernetes
                                          ? "/var/run/secrets/kubernetes.io/serviceaccount/token" : "");
  auto need = [&](const std::string& value, const char* key, const char* why) {
    if (value.empty()) problems.push_back({pointer + "/" + key, std::string(key) + " is required " + why});
  };
  switch (out.method) {
    case AuthMethod::token: need(out.token, "token", "for token auth (or set VAULT_TOKEN)"); break;
    case AuthMethod::approle:
      need(out.role_id, "role_id", "for AppRole");
      need(out.secret_id, "secret_id", "for AppRole");
      break;
    case AuthMethod::kubernetes:
    case AuthMethod::jwt:
      need(out.role, "role", "for a Kubernetes or JWT login");
      need(out.jwt_file, "jwt_file", "for a JWT login");
      break;
  }
}

}  // namespace

Result<ClientConfig> read_client_config(const nlohmann::json& section, const std::string& pointer) {
  ClientConfig out;
  std::vector<ConfigProblem> problems;
  const nlohmann::json s = section.is_object() ? section : nlohmann::json::object();
  out.address = s.value("address", env("VAULT_ADDR"));
  while (!out.address.empty() && out.address.back() == '/') out.address.pop_back();
  if (out.address.empty()) {
    problems.push_back({pointer + "/address", "the Vault address is required (or set VAULT_ADDR)"});
  } else if (out.address.rfind("https://", 0) != 0 &&
             !(out.address.rfind("http://", 0) == 0 && encoding::loopback_url(out.address))) {
    problems.push_back({pointer + "/address", "must be an https:// URL (http:// only to this machine: the token would travel in clear)"});
  }
  out.namespace_path = s.value("namespace", env("VAULT_NAMESPACE"));
  out.http.ca_file = s.value("ca_file", env("VAULT_CACERT"));
  out.http.client_cert_file = s.value("client_cert_file", "");
  out.http.client_key_file = s.value("client_key_file", "");
  out.http.timeout = std::chrono::seconds(s.value("timeout_seconds", 10));
  out.http.connect_timeout = std::min<std::chrono::milliseconds>(out.http.timeout, std::chrono::seconds(5));
  if (out.http.client_cert_file.empty() != out.http.client_key_file.empty())
    problems.push_back({pointer + "/client_key_file", "give client_cert_file and client_key_file together"});
  read_auth(s.value("auth", nlohmann::json::object()), pointer + "/auth", out.auth, problems);
  if (!problems.empty()) {
    Error e = make_error(ErrorCode::invalid_config, "invalid Vault connection settings");
    e.problems = std::move(problems);
    return e;
  }
  return out;
}

const char* client_config_schema() { return SIGNET_VAULT_CLIENT_SCHEMA; }

}  // namespace signet::vault
