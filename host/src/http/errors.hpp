// API errors: a stable code, a message, and the one table that maps codes to
// HTTP statuses (docs/api.md lists every code).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <signet/result.hpp>

#include "http/message.hpp"

namespace signet::host {

struct ApiError {
  std::string code;     // "san_not_allowed", "unauthenticated", ...
  std::string message;  // for humans; never holds secrets
  std::optional<std::chrono::seconds> retry_after = std::nullopt;  // sent as Retry-After
};

http::status status_for(const std::string& code);
// {"error": {"code", "message", "request_id"}}
HttpResponseMessage error_response(const ApiError& error, const std::string& request_id);
// Plugin and infrastructure errors: the code is the SDK code's name.
ApiError api_error(const Error& error);

}  // namespace signet::host
