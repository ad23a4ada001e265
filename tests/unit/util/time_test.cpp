#include "util/time.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace signet::host {
namespace {

// Milliseconds, so that failures print as numbers.
std::optional<std::int64_t> duration_ms(std::string_view text) {
  const auto parsed = parse_duration(text);
  if (!parsed) return std::nullopt;
  return parsed->count();
}

TEST(ParseDuration, AcceptsEachUnit) {
  EXPECT_EQ(duration_ms("250ms"), 250);
  EXPECT_EQ(duration_ms("10s"), 10'000);
  EXPECT_EQ(duration_ms("15m"), 900'000);
  EXPECT_EQ(duration_ms("720h"), 2'592'000'000);
  EXPECT_EQ(duration_ms("90d"), 7'776'000'000);
}

TEST(ParseDuration, AddsUpCompoundDurations) {
  EXPECT_EQ(duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(duration_ms("1d12h"), 129'600'000);
  EXPECT_EQ(duration_ms("1m30s500ms"), 90'500);
}

TEST(ParseDuration, AcceptsZero) { EXPECT_EQ(duration_ms("0s"), 0); }

TEST(ParseDuration, RejectsMalformedText) {
  for (const std::string_view text :
       {"", "h", "10x", "-1s", "10", "1.5h", " 1h", "1h ", "1H", "1hm", "ms", "1h30"}) {
    EXPECT_EQ(duration_ms(text), std::nullopt) << '"' << text << '"';
  }
}

// Large numbers are refused, never overflowed.
TEST(ParseDuration, RejectsDurationsThatOverflow) {
  EXPECT_EQ(duration_ms("9999999999999d"), std::nullopt);
  EXPECT_EQ(duration_ms("999999999999d999999999999d"), std::nullopt);
}

TEST(FormatDuration, PicksTheLargestExactUnit) {
  EXPECT_EQ(format_duration(std::chrono::hours(720)), "720h");
  EXPECT_EQ(format_duration(std::chrono::minutes(90)), "5400s");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(250)), "250ms");
}

TEST(Rfc3339, FormatsTheEpoch) { EXPECT_EQ(to_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00Z"); }

TEST(Rfc3339, ParsesAKnownInstant) {
  const auto parsed = parse_rfc3339("2026-11-23T10:00:00Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(to_unix_ms(*parsed), 1'795'428'000'000);
}

TEST(Rfc3339, RoundTripsWholeSeconds) {
  for (const std::int64_t ms :
       {std::int64_t{0}, std::int64_t{951'868'799'000}, std::int64_t{1'795'428'000'000},
        std::int64_t{4'102'444'800'000}}) {
    const TimePoint t = from_unix_ms(ms);
    const std::string text = to_rfc3339(t);
    const auto parsed = parse_rfc3339(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(to_unix_ms(*parsed), ms) << text;
  }
}

TEST(Rfc3339, FormatsALeapDay) {
  EXPECT_EQ(to_rfc3339(from_unix_ms(951'868'799'000)), "2000-02-29T23:59:59Z");
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const std::string_view text : {
           "",
           "not a time",
           "2026-11-23",
           "2026-11-23T10:00:00",       // no zone
           "2026-11-23 10:00:00Z",      // space instead of T
           "2026/11/23T10:00:00Z",
           "2026-11-23T10:00Z",         // no seconds
           "2026-11-23T10:00:00Zjunk",  // trailing text
           "2026-11-23T10:00:00Z ",
           "2999-01-01T00:00:00Z",      // past what a time point holds (2262)
       }) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << '"' << text << '"';
  }
}

// Only the exact shape, with fields in range, is accepted.
TEST(Rfc3339, RejectsOutOfRangeOrUnpaddedFields) {
  for (const std::string_view text : {
           "2026-13-01T00:00:00Z",
           "2026-02-30T00:00:00Z",
           "2026-11-23T24:00:00Z",
           "2026-11-23T10:60:00Z",
           "2026-1-3T1:2:3Z",
           "2026-+1-23T10:00:00Z",
           " 2026-11-23T10:00:00Z",
       }) {
    EXPECT_EQ(parse_rfc3339(text), std::nullopt) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace signet::host
