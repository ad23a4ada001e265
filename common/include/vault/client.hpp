// One Vault client for the Vault plugins (store-vault and
// keys-vault-transit), over the host's HTTP client.
// It logs in (token, AppRole with a plain or response-wrapped secret id,
// Kubernetes, JWT), keeps the token alive (renewed at about two thirds of
// its TTL, a fresh login when renewal is refused or the max TTL is near),
// logs in again once on a 403 of an expired token, and waits out a sealed
// or rate-limited Vault with capped, jittered back-off before answering
// `unavailable`. Tokens and secret ids never reach a log line, an Error or
// an audit record.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <jsonutil/fields.hpp>
#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>

// The JSON Schema pattern of a mount path ("secret", "team/kv"): segments
// that do not start with '.', so no "." or ".." reaches a URL.
#define SIGNET_VAULT_MOUNT_PATTERN R"json("^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")json"

// The JSON Schema of the `vault:` section (as client_config_schema()).
#define SIGNET_VAULT_CLIENT_SCHEMA \
  R"json({)json" \
  R"json("type": "object",)json" \
  R"json("properties": {)json" \
  R"json("address": {"type": "string", "minLength": 1, "description": "https://vault.example.com:8200 (default: VAULT_ADDR)"},)json" \
  R"json("namespace": {"type": "string", "description": "X-Vault-Namespace (default: VAULT_NAMESPACE)"},)json" \
  R"json("ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle of Vault's CA (default: VAULT_CACERT)"},)json" \
  R"json("client_cert_file": {"type": "string", "minLength": 1},)json" \
  R"json("client_key_file": {"type": "string", "minLength": 1},)json" \
  R"json("timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300},)json" \
  R"json("auth": {)json" \
  R"json("type": "object",)json" \
  R"json("properties": {)json" \
  R"json("method": {"type": "string", "enum": ["token", "approle", "kubernetes", "jwt"]},)json" \
  R"json("mount": {"type": "string", "minLength": 1, "description": "the auth mount (default: the method's name)"},)json" \
  R"json("token": {"type": "string", "minLength": 1, "description": "token auth (default: VAULT_TOKEN)"},)json" \
  R"json("role_id": {"type": "string", "minLength": 1},)json" \
  R"json("secret_id": {"type": "string", "minLength": 1, "description": "a secret id, or a response-wrapping token when secret_id_wrapped"},)json" \
  R"json("secret_id_wrapped": {"type": "boolean"},)json" \
  R"json("role": {"type": "string", "minLength": 1, "description": "Kubernetes or JWT role"},)json" \
  R"json("jwt_file": {"type": "string", "minLength": 1})json" \
  R"json(},)json" \
  R"json("additionalProperties": false)json" \
  R"json(})json" \
  R"json(},)json" \
  R"json("additionalProperties": false)json" \
  R"json(})json"

namespace signet::vault {

enum class AuthMethod { token, approle, kubernetes, jwt };

struct AuthConfig {
  AuthMethod method = AuthMethod::token;
  std::string mount;          // auth mount; default the method's name ("approle", "kubernetes", "jwt")
  std::string token;          // token
  std::string role_id;        // approle
  std::string secret_id;      // approle
  bool secret_id_wrapped = false;  // secret_id is a response-wrapping token: unwrapped once
  std::string role;           // kubernetes, jwt
  std::string jwt_file;       // kubernetes (default the service account's token file), jwt
};

struct ClientConfig {
  std::string address;    // "https://vault.example.com:8200", no trailing slash
  std::string namespace_path;  // X-Vault-Namespace; "" for none
  AuthConfig auth;
  HttpOptions http;       // timeout, ca_file, client certificate
  int max_attempts = 4;   // per call, for 429 and 503
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{4000};
};

// The `vault:` section of a plugin's config, with VAULT_ADDR,
// VAULT_NAMESPACE, VAULT_CACERT and VAULT_TOKEN used where it says
// nothing, as Vault's own tools do. Problems name `pointer` + the key.
Result<ClientConfig> read_client_config(const nlohmann::json& section, const std::string& pointer);

// The JSON schema of that section, for the plugins' schemas; the macro is
// for splicing into a plugin's schema literal.
const char* client_config_schema();

struct Response {
  int status = 0;
  nlohmann::json body;  // null for 204 or a body that is not JSON
  std::optional<std::chrono::seconds> retry_after;  // a 429's or 503's Retry-After
  // Vault's `errors`, joined: "" when none.
  std::string errors() const;
};

class Client {
 public:
  Client(ClientConfig config, HostServices& services);

  // A call to /v1/<path> ("secret/data/certs/a"): any status Vault answers
  // after the retries (2xx, 400, 403, 404 ...) is a Response; transport
  // failures, a Vault still sealed or rate-limited after the retries, and
  // a failed login are errors (unavailable, or unauthenticated).
  Result<Response> call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);

  // Vault's sys/health, unauthenticated; ok when active and unsealed.
  Result<void> health();

  const ClientConfig& config() const { return config_; }

 private:
  struct Token {
    std::string value;
    bool from_login = false;
    bool renewable = false;
    std::chrono::seconds granted{0};  // the TTL the login gave
    // Renewed from renew_at; replaced by a fresh login from login_at (its
    // max TTL is near) or once it lapsed.
    std::chrono::steady_clock::time_point renew_at{}, login_at{}, expires_at{};
  };
  Result<std::string> current_token();
  void renew();
  Result<Token> login();
  Result<std::string> login_secret_id();
  Result<Response> send(const std::string& method, const std::string& path, const nlohmann::json& body,
                        const std::string& token);
  Result<Response> send_with_retries(const std::string& method, const std::string& path, const nlohmann::json& body,
                                     const std::string& token);
  Token token_from(const nlohmann::json& auth) const;
  void forget_token(const std::string& value);

  ClientConfig config_;
  HostServices& services_;
  std::mutex mutex_;  // guards token_ and unwrapped_secret_id_
  std::optional<Token> token_;
  std::string unwrapped_secret_id_;
};

// Error{...} from a Vault answer, with its errors text and never a token.
Error error_from(const Response& response, const std::string& what);

// Fields of Vault's answers, read without trusting their types (jsonutil).
using jsonutil::bool_field;
using jsonutil::int_field;
using jsonutil::object_field;
using jsonutil::text_field;

}  // namespace signet::vault
