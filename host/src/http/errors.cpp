#include "http/errors.hpp"

#include <algorithm>
#include <unordered_map>

namespace signet::host {
namespace {

using S = http::status;

const std::unordered_map<std::string, S>& status_table() {
  static const std::unordered_map<std::string, S> table = {
      // request shape
      {"invalid_json", S::bad_request},
      {"invalid_request", S::bad_request},
      {"invalid_argument", S::bad_request},
      {"invalid_csr", S::bad_request},
      {"invalid_san", S::bad_request},
      {"csr_mismatch", S::bad_request},
      {"bad_request", S::bad_request},
      // policy
      {"unknown_profile", S::bad_request},
      {"unknown_role", S::bad_request},
      {"san_not_allowed", S::bad_request},
      {"wildcard_not_allowed", S::bad_request},
      {"common_name_required", S::bad_request},
      {"ttl_too_long", S::bad_request},
      {"ttl_too_short", S::bad_request},
      {"key_not_allowed", S::bad_request},
      {"invalid_reason", S::bad_request},
      {"rejected", S::unprocessable_entity},
      {"approval_expired", S::unprocessable_entity},
      {"reload_refused", S::unprocessable_entity},
      // identity
      {"unauthenticated", S::unauthorized},
      {"permission_denied", S::forbidden},
      {"csrf_failed", S::forbidden},
      {"self_approval_not_allowed", S::forbidden},
      {"approval_required", S::forbidden},
      // routing and transport
      {"not_found", S::not_found},
      {"method_not_allowed", S::method_not_allowed},
      {"upgrade_required", S::upgrade_required},
      {"conflict", S::conflict},
      {"idempotency_key_reused", S::unprocessable_entity},
      {"already_renewed", S::conflict},
      {"renewal_in_progress", S::conflict},
      {"renewal_running", S::conflict},
      {"version_conflict", S::conflict},
      {"body_too_large", S::payload_too_large},
      {"headers_too_large", S::request_header_fields_too_large},
      {"unsupported_media_type", S::unsupported_media_type},
      {"rate_limited", S::too_many_requests},
      // server side
      {"unsupported", S::not_implemented},
      {"not_configured", S::not_implemented},
      {"unavailable", S::service_unavailable},
      {"timeout", S::gateway_timeout},
      {"invalid_config", S::internal_server_error},
      {"internal", S::internal_server_error},
  };
  return table;
}

}  // namespace

http::status status_for(const std::string& code) {
  const auto& table = status_table();
  const auto it = table.find(code);
  return it == table.end() ? S::internal_server_error : it->second;
}

bool is_known_error_code(const std::string& code) { return status_table().contains(code); }

HttpResponseMessage error_response(const HostError& error, const std::string& request_id) {
  HttpResponseMessage response = json_response(
      status_for(error.code), {{"error", {{"code", error.code}, {"message", error.message}, {"request_id", request_id}}}});
  // RFC 9110 §10.2.3: a 503 says when to come back; the usual cause is a
  // database or backend restarting, so one second unless the error knows better.
  auto retry_after = error.retry_after;
  if (!retry_after && response.result() == http::status::service_unavailable) retry_after = std::chrono::seconds(1);
  if (retry_after) response.set(http::field::retry_after, std::to_string(std::max<long long>(1, retry_after->count())));
  return response;
}

HttpResponseMessage json_response(http::status status, const nlohmann::json& body) {
  // A path or message may carry bytes that are not UTF-8 (GET /%FF): replace
  // them rather than throw.
  return text_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

HttpResponseMessage text_response(http::status status, std::string body, const std::string& content_type) {
  HttpResponseMessage response{status, 11};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

}  // namespace signet::host
