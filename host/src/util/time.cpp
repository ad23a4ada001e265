#include "util/time.hpp"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>

#include <signet/notifier.hpp>

namespace signet::host {
namespace {

constexpr std::int64_t kMaxDurationMs = 100LL * 365 * 86'400'000;  // a century is plenty

// "YYYY-MM-DDTHH:MM:SSZ" exactly: digits where digits belong.
bool rfc3339_shape(const std::string& s) {
  static constexpr char kShape[] = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != sizeof kShape - 1) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  return true;
}

std::optional<std::int64_t> unit_ms(std::string_view unit) {
  if (unit == "ms") return 1;
  if (unit == "s") return 1000;
  if (unit == "m") return 60'000;
  if (unit == "h") return 3'600'000;
  if (unit == "d") return 86'400'000;
  return std::nullopt;
}

// Milliseconds the host's clock runs ahead of the system clock (test clock).
std::atomic<std::int64_t> g_clock_offset_ms{0};

}  // namespace

Clock::time_point Clock::now() noexcept {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(g_clock_offset_ms.load(std::memory_order_relaxed));
}

std::chrono::milliseconds shift_clock(std::chrono::milliseconds by) {
  return std::chrono::milliseconds(g_clock_offset_ms.fetch_add(by.count()) + by.count());
}

std::chrono::milliseconds clock_offset() { return std::chrono::milliseconds(g_clock_offset_ms.load()); }

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t digits_start = i;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (number > 1'000'000'000'000) return std::nullopt;
      number = number * 10 + (text[i] - '0');
    }
    if (i == digits_start) return std::nullopt;
    const std::size_t unit_start = i;
    for (; i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])); ++i) {}
    const auto unit = unit_ms(text.substr(unit_start, i - unit_start));
    if (!unit || number > kMaxDurationMs / *unit) return std::nullopt;
    total += number * *unit;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string to_rfc3339(TimePoint t) { return signet::to_rfc3339(t); }

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (!rfc3339_shape(s)) return std::nullopt;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      static_cast<std::size_t>(consumed) != s.size())
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::tm normalized = tm;
  const std::time_t secs = timegm(&normalized);
  // timegm rolls 2026-13-01 over into 2027: refuse fields out of range.
  if (secs == -1 || normalized.tm_mon != tm.tm_mon || normalized.tm_mday != tm.tm_mday ||
      normalized.tm_hour != tm.tm_hour || normalized.tm_min != tm.tm_min || normalized.tm_sec != tm.tm_sec)
    return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: about 1677 to 2262.
  constexpr std::time_t kRepresentable = 9'000'000'000;
  if (secs > kRepresentable || secs < -kRepresentable) return std::nullopt;
  return Clock::from_time_t(secs);
}

std::int64_t to_unix_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string to_http_date(TimePoint t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  // %a and %b are locale-dependent; the C locale the host runs in gives the English names.
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buffer, n);
}

std::optional<TimePoint> parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const std::time_t secs = timegm(&tm);
  if (secs == -1) return std::nullopt;
  return std::chrono::time_point_cast<Clock::duration>(std::chrono::system_clock::from_time_t(secs));
}

}  // namespace signet::host
