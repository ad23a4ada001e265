// Durations and timestamps as the API and the configuration write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace signet::host {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

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
TimePoint from_unix_ms(std::int64_t ms);

}  // namespace signet::host
