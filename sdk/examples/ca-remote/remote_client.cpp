#include "remote_client.hpp"

#include <algorithm>
#include <charconv>

namespace ca_remote {
namespace {

// Retry-After (RFC 9110 §10.2.3) as delta-seconds; an HTTP-date or garbage
// reads as absent. Capped so a confused server cannot park a request for days.
std::chrono::seconds retry_after_of(const std::string& header) {
  long seconds = 0;
  const auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (error != std::errc() || end != header.data() + header.size() || seconds <= 0) return std::chrono::seconds(0);
  return std::chrono::seconds(std::min(seconds, 3600L));
}

// The error code for a status: retryable ones (unavailable, rate_limited)
// only where repeating the same request can succeed.
signet::ErrorCode code_of(int status, const std::string& remote_code) {
  switch (status) {
    case 400: case 411: case 413: return signet::ErrorCode::invalid_argument;
    case 401: return signet::ErrorCode::unauthenticated;
    // The remote's policy said no: final for this request, not a credential problem.
    case 403: return remote_code == "denied" ? signet::ErrorCode::rejected : signet::ErrorCode::permission_denied;
    case 404: return signet::ErrorCode::not_found;
    case 409: return signet::ErrorCode::conflict;
    case 422: return signet::ErrorCode::rejected;
    case 429: return signet::ErrorCode::rate_limited;
    // A 500 is as likely a passing fault of the remote as a lasting one; the
    // host gives up after runner.max_attempts either way.
    case 500: case 502: case 503: case 504: return signet::ErrorCode::unavailable;
    default: return signet::ErrorCode::internal;
  }
}

std::string clipped(std::string text) {
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

}  // namespace

RemoteClient::RemoteClient(RemoteConfig config, signet::HostServices& services)
    : config_(std::move(config)), services_(services) {}

signet::Result<RemoteAnswer> RemoteClient::call(const std::string& method, const std::string& path,
                                                const nlohmann::json& body, const std::string& idempotency_key,
                                                std::chrono::milliseconds timeout) {
  signet::HttpRequest request;
  request.method = method;
  request.url = config_.url + path;
  request.headers = {{"Authorization", "Bearer " + config_.api_key},
                     {"Accept", "application/json"},
                     {"User-Agent", "signet-ca-remote/1.0"}};
  if (!idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", idempotency_key);
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    try {
      request.body = body.dump();  // throws on text that is not UTF-8
    } catch (const nlohmann::json::exception&) {
      return signet::make_error(signet::ErrorCode::invalid_argument, "the request holds text that is not UTF-8");
    }
  }
  request.options.timeout = timeout.count() > 0 ? timeout : config_.timeout;
  request.options.ca_file = config_.ca_file;
  request.options.max_attempts = 1;  // the host's runner owns retries

  auto response = services_.http().send(request);
  const std::string outcome = response ? std::to_string(response->status) : std::string(to_string(response.error().code));
  services_.metrics().counter_add("ca_remote_requests_total", "Requests to the remote CA, by method and outcome (HTTP status or error code)",
                                  {{"method", method}, {"outcome", outcome}}, 1);
  if (!response) return std::move(response).error();  // unavailable or timeout: retryable as it is

  RemoteAnswer answer;
  answer.status = response->status;
  answer.body = nlohmann::json::parse(response->body, nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  answer.retry_after = retry_after_of(response->header("retry-after"));
  return answer;
}

signet::Error RemoteClient::error_of(const RemoteAnswer& answer, const std::string& operation) const {
  std::string remote_code, remote_message;
  if (answer.body.is_object() && answer.body.contains("error") && answer.body["error"].is_object()) {
    remote_code = answer.body["error"].value("code", "");
    remote_message = answer.body["error"].value("message", "");
  }
  const signet::ErrorCode code = code_of(answer.status, remote_code);
  std::string message = operation + ": the remote CA answered " + std::to_string(answer.status);
  if (!remote_code.empty()) message += " " + clipped(remote_code);
  if (!remote_message.empty()) message += ": " + clipped(remote_message);
  services_.logger().warn("ca-remote: remote CA refused a call",
                          {{"operation", operation}, {"status", answer.status}, {"code", remote_code}});
  signet::Error error = signet::make_error(code, message);
  if (error.retryable()) error.retry_after = answer.retry_after.count() > 0 ? answer.retry_after : config_.default_retry;
  return error;
}

}  // namespace ca_remote
