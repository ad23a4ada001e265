#include "connection.hpp"

#include <algorithm>

#include <encoding/base64.hpp>
#include <encoding/url.hpp>

namespace signet::keyfactor {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kDefaultTokenLifetime{300};

ErrorCode code_of(int status) {
  if (status == 429) return ErrorCode::rate_limited;
  if (status >= 500) return ErrorCode::unavailable;
  switch (status) {
    case 401: return ErrorCode::unauthenticated;
    case 403: return ErrorCode::permission_denied;
    case 404: return ErrorCode::not_found;
    case 409: return ErrorCode::conflict;
    case 400:
    case 422: return ErrorCode::invalid_argument;
    default: return ErrorCode::rejected;
  }
}

}  // namespace

Result<HttpResponse> Connection::send(const std::string& method, const std::string& path, const std::string& body,
                                      const Headers& headers, const std::string& bearer) {
  HttpRequest request;
  request.method = method;
  request.url = config_.base_url + path;
  request.options = config_.http;
  request.body = body;
  request.headers = {{"Accept", "application/json"}};
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.headers.insert(request.headers.end(), headers.begin(), headers.end());
  if (config_.auth.type == AuthType::basic)
    request.headers.emplace_back("Authorization",
                                 "Basic " + encoding::base64(config_.auth.username + ":" + config_.auth.password));
  if (!bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + bearer);
  return services_.http().send(request);
}

Result<Answer> Connection::call(const std::string& method, const std::string& path, const json& body,
                                const Headers& headers) {
  const std::string text = body.is_null() ? std::string() : body.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string refused;
  for (int attempt = 1;; ++attempt) {
    std::string token;
    if (config_.auth.type == AuthType::oauth) {
      auto fetched = bearer(refused);
      if (!fetched) return std::move(fetched).error();
      token = std::move(fetched).value();
    }
    auto sent = send(method, path, text, headers, token);
    if (!sent) return make_error(sent.error().code, method + " " + path + ": " + sent.error().message);
    // A token the server no longer takes (revoked, or its clock ahead): one fresh token, once.
    // Command says so with 401; EJBCA with 403 ("Authentication failed using OAuth Bearer Token").
    const bool token_refused = sent->status == 401 || (sent->status == 403 && config_.api == Api::ejbca);
    if (token_refused && config_.auth.type == AuthType::oauth && attempt == 1) {
      refused = token;
      continue;
    }
    Answer answer{sent->status, json::parse(sent->body, nullptr, false), sent->body};
    if (answer.body.is_discarded()) answer.body = nullptr;
    return answer;
  }
}

// The OAuth 2.0 client-credentials grant (RFC 6749 §4.4), cached until a
// minute before it expires: one token per lifetime, not one per call.
Result<std::string> Connection::bearer(const std::string& refused) {
  std::lock_guard lock(token_mutex_);
  const auto now = std::chrono::steady_clock::now();
  // A token refused by the server is fetched again once; one another call renewed meanwhile is used.
  const bool usable = !token_.empty() && now < token_until_ && token_ != refused;
  if (usable) return token_;
  const AuthConfig& a = config_.auth;
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "client_credentials"}, {"client_id", a.client_id}, {"client_secret", a.client_secret}};
  if (!a.scope.empty()) form.emplace_back("scope", a.scope);
  if (!a.audience.empty()) form.emplace_back("audience", a.audience);
  HttpRequest request;
  request.method = "POST";
  request.url = a.token_url;
  // The identity provider is not the CA's server: its own trust, and no client certificate sent to it.
  request.options = config_.http;
  request.options.ca_file = a.ca_file;
  request.options.client_cert_file.clear();
  request.options.client_key_file.clear();
  request.body = encoding::form_encode(form);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  auto sent = services_.http().send(request);
  if (!sent) return make_error(sent.error().code, "the OAuth token endpoint: " + sent.error().message);
  const json answer = json::parse(sent->body, nullptr, false);
  const std::string access = answer.is_object() && answer.contains("access_token") && answer["access_token"].is_string()
                                 ? answer["access_token"].get<std::string>() : "";
  if (sent->status >= 500 || sent->status == 429)
    return make_error(ErrorCode::unavailable, "the OAuth token endpoint answered HTTP " + std::to_string(sent->status));
  if (sent->status != 200 || access.empty()) {
    const std::string why = answer.is_object() && answer.contains("error") && answer["error"].is_string()
                                ? answer["error"].get<std::string>() : "HTTP " + std::to_string(sent->status);
    return make_error(ErrorCode::unauthenticated, "the OAuth token endpoint refused the client (" + why + ")");
  }
  auto lifetime = kDefaultTokenLifetime;
  if (answer.contains("expires_in") && answer["expires_in"].is_number_integer() && answer["expires_in"].get<long long>() > 0)
    lifetime = std::chrono::seconds(std::min<long long>(answer["expires_in"].get<long long>(), 86400));  // a day at most
  token_ = access;
  token_until_ = now + (lifetime > std::chrono::seconds(120) ? lifetime - std::chrono::seconds(60) : lifetime / 2);
  services_.metrics().counter_add("signet_keyfactor_token_fetches_total", "OAuth tokens fetched for ca-keyfactor", {}, 1);
  return token_;
}

Error Connection::failure(const std::string& what, const Answer& answer, const std::string& server_code,
                          const std::string& server_message) const {
  std::string text = what + ": HTTP " + std::to_string(answer.status);
  if (!server_code.empty()) text += " " + server_code;
  if (!server_message.empty()) text += ": " + server_message;
  Error error = make_error(code_of(answer.status), text);
  if (error.retryable()) error.retry_after = std::chrono::seconds(5);
  services_.logger().warn("ca-keyfactor: the server refused a call",
                          {{"call", what}, {"status", answer.status}, {"error_code", server_code}, {"message", server_message}});
  return error;
}

}  // namespace signet::keyfactor
