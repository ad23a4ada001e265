// The errors the host's core returns: a stable code ("san_not_allowed",
// "unavailable"), a message for humans and, for retryable ones, when to
// come back. No transport is named here: the HTTP front alone maps codes to
// statuses, in one table (http/errors.cpp); docs/api.md lists every code.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <signet/result.hpp>

namespace signet::host {

struct HostError {
  std::string code;     // "san_not_allowed", "unauthenticated", ...
  std::string message;  // for humans; never holds secrets
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
};

// Plugin and infrastructure errors: the code is the SDK code's name.
inline HostError host_error(const Error& error) {
  return {std::string(to_string(error.code)), error.message, error.retry_after};
}

}  // namespace signet::host
