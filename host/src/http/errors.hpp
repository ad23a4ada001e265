// The one table that maps the core's error codes (util/host_error.hpp) to
// HTTP statuses, and the JSON body every refusal has (docs/api.md lists
// every code).
#pragma once

#include <string>

#include "http/message.hpp"
#include "util/host_error.hpp"

namespace signet::host {

http::status status_for(const std::string& code);
// Whether the table names this code (any other answers 500).
bool is_known_error_code(const std::string& code);
// {"error": {"code", "message", "request_id"}}
HttpResponseMessage error_response(const HostError& error, const std::string& request_id);

}  // namespace signet::host
