#include "vault/client.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <thread>

namespace signet::vault {
namespace {

using Clock = std::chrono::steady_clock;

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string mount_of(const AuthConfig& auth) {
  if (!auth.mount.empty()) return auth.mount;
  switch (auth.method) {
    case AuthMethod::approle: return "approle";
    case AuthMethod::kubernetes: return "kubernetes";
    case AuthMethod::jwt: return "jwt";
    case AuthMethod::token: return "token";
  }
  return "token";
}

std::optional<std::chrono::seconds> retry_after_of(const HttpResponse& response) {
  try {
    const auto text = response.header("retry-after");
    if (text.empty()) return std::nullopt;
    const long long seconds = std::stoll(text);
    if (seconds > 0) return std::chrono::seconds(seconds);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

std::string Response::errors() const {
  if (!body.is_object() || !body.contains("errors") || !body.at("errors").is_array()) return {};
  std::string out;
  for (const auto& e : body.at("errors"))
    if (e.is_string()) out += (out.empty() ? "" : "; ") + e.get<std::string>();
  return out;
}

Error error_from(const Response& response, const std::string& what) {
  const std::string text = what + ": Vault answered HTTP " + std::to_string(response.status) +
                           (response.errors().empty() ? "" : " (" + response.errors() + ")");
  switch (response.status) {
    case 400: return make_error(ErrorCode::invalid_argument, text);
    case 403: return make_error(ErrorCode::permission_denied, text);
    // A 404 with errors is a path nothing serves ("no handler for route"): a
    // mount or namespace that is not there, not a secret that is missing.
    case 404:
      return make_error(response.errors().empty() ? ErrorCode::not_found : ErrorCode::invalid_config,
                        response.errors().empty() ? text : text + "; is the engine mounted there?");
    case 429: return make_error(ErrorCode::rate_limited, text);
    default: break;
  }
  if (response.status >= 500) return make_error(ErrorCode::unavailable, text);
  return make_error(ErrorCode::rejected, text);
}

Client::Client(ClientConfig config, HostServices& services) : config_(std::move(config)), services_(services) {}

Result<Response> Client::send(const std::string& method, const std::string& path, const nlohmann::json& body,
                              const std::string& token) {
  HttpRequest request;
  request.method = method;
  request.url = config_.address + "/v1/" + path;
  request.options = config_.http;
  request.options.max_attempts = 1;  // 429 and 503 are waited out here, with Vault's Retry-After
  request.headers.push_back({"X-Vault-Request", "true"});
  if (!token.empty()) request.headers.push_back({"X-Vault-Token", token});
  if (!config_.namespace_path.empty()) request.headers.push_back({"X-Vault-Namespace", config_.namespace_path});
  if (!body.is_null()) {
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  auto sent = services_.http().send(request);
  if (!sent) return std::move(sent).error();
  Response response;
  response.status = sent->status;
  if (!sent->body.empty()) {
    response.body = nlohmann::json::parse(sent->body, nullptr, false);
    if (response.body.is_discarded()) response.body = nullptr;
  }
  if (response.status == 429 || response.status == 503) response.retry_after = retry_after_of(sent.value());
  return response;
}

Result<Response> Client::send_with_retries(const std::string& method, const std::string& path, const nlohmann::json& body,
                                           const std::string& token) {
  auto delay = config_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto response = send(method, path, body, token);
    if (!response) return response;
    const int status = response->status;
    if (status != 429 && status != 503) return response;
    const bool sealed = status == 503;
    if (attempt >= config_.max_attempts) {
      Error e = error_from(*response, std::string(sealed ? "Vault is sealed or not active" : "Vault's rate limit") +
                                          " on " + method + " " + path);
      e.code = ErrorCode::unavailable;
      e.retry_after = response->retry_after.value_or(std::chrono::seconds(1));
      return e;
    }
    // Jittered, capped back-off; Vault's Retry-After (a 429) lengthens it within the cap.
    auto wait = delay;
    if (response->retry_after) wait = std::max<std::chrono::milliseconds>(wait, *response->retry_after);
    wait = std::min(wait, config_.max_backoff);
    std::array<std::uint8_t, 2> noise{};
    services_.random().fill(noise);
    const auto jitter = wait.count() / 2 * (noise[0] | (noise[1] << 8)) / 65535;
    std::this_thread::sleep_for(std::chrono::milliseconds(wait.count() / 2 + jitter));
    delay = std::min(delay * 2, config_.max_backoff);
  }
}

Client::Token Client::token_from(const nlohmann::json& auth) const {
  Token t;
  t.value = text_field(auth, "client_token");
  t.from_login = config_.auth.method != AuthMethod::token;
  t.renewable = bool_field(auth, "renewable");
  const auto ttl = std::chrono::seconds(std::max(0LL, int_field(auth, "lease_duration")));
  const auto now = Clock::now();
  t.granted = ttl;
  t.expires_at = ttl.count() > 0 ? now + ttl : Clock::time_point::max();
  t.renew_at = ttl.count() > 0 ? now + ttl * 2 / 3 : Clock::time_point::max();
  t.login_at = Clock::time_point::max();
  return t;
}

Result<std::string> Client::login_secret_id() {
  if (!config_.auth.secret_id_wrapped) return config_.auth.secret_id;
  if (!unwrapped_secret_id_.empty()) return unwrapped_secret_id_;
  auto unwrapped = send_with_retries("POST", "sys/wrapping/unwrap", nullptr, config_.auth.secret_id);
  if (!unwrapped) return std::move(unwrapped).error();
  const std::string secret_id = text_field(object_field(unwrapped->body, "data"), "secret_id");
  if (unwrapped->status != 200 || secret_id.empty())
    return make_error(ErrorCode::unauthenticated,
                      "the response-wrapped secret id could not be unwrapped (a wrapping token works once: if this "
                      "host did not unwrap it, someone else did): Vault answered HTTP " +
                          std::to_string(unwrapped->status) + " " + unwrapped->errors());
  unwrapped_secret_id_ = secret_id;
  return unwrapped_secret_id_;
}

Result<Client::Token> Client::login() {
  const AuthConfig& auth = config_.auth;
  nlohmann::json body;
  if (auth.method == AuthMethod::token) {
    // A token given as it is: learn whether it can be renewed; it cannot be logged in again.
    auto self = send_with_retries("GET", "auth/token/lookup-self", nullptr, auth.token);
    if (!self) return std::move(self).error();
    if (self->status != 200) return error_from(*self, "the configured Vault token was refused");
    const auto& data = object_field(self->body, "data");
    Token t = token_from({{"client_token", auth.token}, {"renewable", bool_field(data, "renewable")},
                          {"lease_duration", int_field(data, "ttl")}});
    t.from_login = false;
    return t;
  }
  if (auth.method == AuthMethod::approle) {
    auto secret_id = login_secret_id();
    if (!secret_id) return std::move(secret_id).error();
    body = {{"role_id", auth.role_id}, {"secret_id", secret_id.value()}};
  } else {
    const std::string jwt = read_whole(auth.jwt_file);
    if (jwt.empty()) return make_error(ErrorCode::unauthenticated, "no JWT in " + auth.jwt_file + " for the Vault login");
    body = {{"role", auth.role}, {"jwt", jwt}};
  }
  auto answer = send_with_retries("POST", "auth/" + mount_of(auth) + "/login", body, "");
  if (!answer) return std::move(answer).error();
  const auto& granted = object_field(answer->body, "auth");
  if (answer->status != 200 || text_field(granted, "client_token").empty()) {
    Error e = error_from(*answer, "Vault refused the " + mount_of(auth) + " login");
    if (e.code != ErrorCode::unavailable) e.code = ErrorCode::unauthenticated;
    return e;
  }
  services_.metrics().counter_add("signet_vault_logins_total", "Logins to Vault", {{"method", mount_of(auth)}}, 1);
  return token_from(granted);
}

Result<std::string> Client::current_token() {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  // A token near its max TTL, or lapsed, is replaced by a fresh login.
  if (token_ && token_->from_login && (now >= token_->login_at || now >= token_->expires_at))
    token_.reset();
  if (token_ && token_->renewable && now >= token_->renew_at) renew();
  if (!token_) {
    auto made = login();
    if (!made) return std::move(made).error();
    token_ = std::move(made).value();
  }
  return token_->value;
}

// Under mutex_. Renewed: the new TTL counts from now; a TTL the max TTL
// cut short means a fresh login before it lapses. Refused: a fresh login
// (or, for a token given as it is, using it while Vault still takes it).
void Client::renew() {
  auto renewed = send_with_retries("POST", "auth/token/renew-self", nlohmann::json::object(), token_->value);
  const bool ok = renewed && renewed->status == 200 && !object_field(renewed->body, "auth").empty();
  services_.metrics().counter_add("signet_vault_token_renewals_total", "Token renewals by outcome",
                                  {{"outcome", ok ? "renewed" : "refused"}}, 1);
  if (!ok) {
    if (token_->from_login) token_.reset();
    else token_->renew_at = Clock::time_point::max();
    return;
  }
  Token next = token_from(object_field(renewed->body, "auth"));
  next.value = token_->value;
  next.from_login = token_->from_login;
  next.granted = token_->granted;
  if (next.from_login && next.expires_at != Clock::time_point::max() &&
      next.expires_at - Clock::now() < token_->granted / 2) {
    next.renew_at = Clock::time_point::max();
    next.login_at = Clock::now() + (next.expires_at - Clock::now()) * 2 / 3;
  }
  token_ = next;
}

void Client::forget_token(const std::string& value) {
  std::lock_guard lock(mutex_);
  if (token_ && token_->value == value) token_.reset();
}

Result<Response> Client::call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  auto token = current_token();
  if (!token) return std::move(token).error();
  auto response = send_with_retries(method, path, body, token.value());
  if (!response || response->status != 403 || config_.auth.method == AuthMethod::token) return response;
  // A 403 is a policy's or an expired token's: only the token's own lookup tells. Once, never a loop.
  auto self = send("GET", "auth/token/lookup-self", nullptr, token.value());
  if (!self || self->status != 403) return response;
  forget_token(token.value());
  auto fresh = current_token();
  if (!fresh) return std::move(fresh).error();
  return send_with_retries(method, path, body, fresh.value());
}

Result<void> Client::health() {
  auto answer = send("GET", "sys/health", nullptr, "");
  if (!answer) return std::move(answer).error();
  if (answer->status == 200 || answer->status == 429) return {};  // active, or a standby that forwards
  return make_error(ErrorCode::unavailable, "Vault is not ready: sys/health answered HTTP " + std::to_string(answer->status));
}

}  // namespace signet::vault
