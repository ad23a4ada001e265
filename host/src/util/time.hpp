// Durations and timestamps as the API and the configuration write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace signet::host {

// The host's wall clock: the system clock, unless a test shifted it
// (`signet serve --test-clock`, see shift_clock). Every date the host
// decides on (expiry, renewal, end of use, token lifetimes) reads it, and
// plugins read it through signet::Clock, so tests move dates instead of
// sleeping until them.
struct Clock {
  using duration = std::chrono::system_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::system_clock::time_point;
  static constexpr bool is_steady = false;

  static time_point now() noexcept;
  static std::time_t to_time_t(time_point t) noexcept { return std::chrono::system_clock::to_time_t(t); }
  static time_point from_time_t(std::time_t t) noexcept { return std::chrono::system_clock::from_time_t(t); }
};
using TimePoint = Clock::time_point;

// Moves the host's clock forward by `by` from where it is; returns the new
// offset from the system clock. Only the test clock route calls it.
std::chrono::milliseconds shift_clock(std::chrono::milliseconds by);
std::chrono::milliseconds clock_offset();

// Go-style durations ("720h", "1h30m", "10s", "250ms") plus days ("90d").
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

// RFC 3339 UTC with second precision: "2026-11-23T10:00:00Z".
std::string to_rfc3339(TimePoint t);
std::optional<TimePoint> parse_rfc3339(std::string_view text);

// Milliseconds since the Unix epoch: how the database keeps times.
std::int64_t to_unix_ms(TimePoint t);
// RFC 9110 §5.6.7 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): Last-Modified, Expires.
std::string to_http_date(TimePoint t);
std::optional<TimePoint> parse_http_date(std::string_view text);
TimePoint from_unix_ms(std::int64_t ms);

}  // namespace signet::host
