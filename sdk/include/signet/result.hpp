// Result<T>: a value or an Error. Every call across the plugin boundary
// returns one; no exception crosses it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace signet {

// Stable error codes shared by host and plugins. Never renumber; add at the end.
enum class ErrorCode : int {
  internal = 1,          // a bug or an unexpected condition
  invalid_argument = 2,  // the input is wrong; retrying cannot help
  not_found = 3,
  conflict = 4,          // check-and-set mismatch, duplicate
  unavailable = 5,       // a remote service or resource is down: retryable
  timeout = 6,           // retryable
  rate_limited = 7,      // retryable, honour retry_after
  permission_denied = 8,
  unauthenticated = 9,
  unsupported = 10,      // capability not offered
  rejected = 11,         // a policy (profile, CA) refused the request
  invalid_config = 12,   // instance configuration rejected; see problems
};

std::string_view to_string(ErrorCode code) noexcept;

// One problem of a configuration, addressed by a JSON pointer into the
// instance's config section ("/endpoint/url"), so the host can name the line.
struct ConfigProblem {
  std::string path;
  std::string message;
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::vector<ConfigProblem> problems;           // for invalid_config
  std::optional<std::chrono::seconds> retry_after;  // hint for retryable codes

  bool retryable() const noexcept {
    return code == ErrorCode::unavailable || code == ErrorCode::timeout ||
           code == ErrorCode::rate_limited;
  }
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message), {}, std::nullopt};
}

// Error{invalid_config} with one problem at `path`, a JSON pointer into the
// instance's `config` ("" for the whole of it); the host prints it as
// `<file>:<line>: instance "<name>": config<path>: <message>`.
inline Error config_error(std::string summary, std::string path, std::string message) {
  Error error = make_error(ErrorCode::invalid_config, std::move(summary));
  error.problems.push_back({std::move(path), std::move(message)});
  return error;
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

inline std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::internal: return "internal";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::rejected: return "rejected";
    case ErrorCode::invalid_config: return "invalid_config";
  }
  return "unknown";
}

}  // namespace signet
