// Cron schedules as crontab(5) reads them, in UTC: the next run after a
// moment, and a precise reason for every schedule refused.
#include "util/cron.hpp"

#include <gtest/gtest.h>

namespace signet::host {
namespace {

TimePoint at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

// The next run after `from`, as RFC 3339 text so failures read as dates.
std::string next(const char* schedule, const char* from) {
  std::string error;
  const auto parsed = CronSchedule::parse(schedule, error);
  if (!parsed) return "refused: " + error;
  return to_rfc3339(parsed->next_after(at(from)));
}

std::string refusal(const char* schedule) {
  std::string error;
  return CronSchedule::parse(schedule, error) ? "" : error;
}

TEST(CronSchedule, DailyAtTwoIsTheDefault) {
  EXPECT_EQ(next("0 2 * * *", "2026-12-05T01:59:30Z"), "2026-12-05T02:00:00Z");
  EXPECT_EQ(next("0 2 * * *", "2026-12-05T02:00:00Z"), "2026-12-06T02:00:00Z");  // strictly after
  EXPECT_EQ(next("0 2 * * *", "2026-12-31T02:30:00Z"), "2027-01-01T02:00:00Z");
}

TEST(CronSchedule, StepsRangesListsAndNames) {
  EXPECT_EQ(next("*/15 * * * *", "2026-12-05T10:07:00Z"), "2026-12-05T10:15:00Z");
  EXPECT_EQ(next("*/15 * * * *", "2026-12-05T10:45:00Z"), "2026-12-05T11:00:00Z");
  EXPECT_EQ(next("5/20 * * * *", "2026-12-05T10:26:00Z"), "2026-12-05T10:45:00Z");
  EXPECT_EQ(next("10-50/20 * * * *", "2026-12-05T10:31:00Z"), "2026-12-05T10:50:00Z");
  EXPECT_EQ(next("0 8,20 * * *", "2026-12-05T09:00:00Z"), "2026-12-05T20:00:00Z");
  // 2026-12-04 is a Friday: after its last working hour comes Monday 09:00.
  EXPECT_EQ(next("0 9-17 * * MON-FRI", "2026-12-04T17:30:00Z"), "2026-12-07T09:00:00Z");
  EXPECT_EQ(next("0 0 1 jan *", "2026-12-05T00:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(next("0 0 * * 7", "2026-12-05T00:00:00Z"), "2026-12-06T00:00:00Z");  // 7 is Sunday too
  EXPECT_EQ(next("* * * * *", "2026-12-05T10:07:59Z"), "2026-12-05T10:08:00Z");
}

TEST(CronSchedule, MacrosMeanTheirFiveFields) {
  EXPECT_EQ(next("@daily", "2026-12-05T10:00:00Z"), "2026-12-06T00:00:00Z");
  EXPECT_EQ(next("@hourly", "2026-12-05T10:00:00Z"), "2026-12-05T11:00:00Z");
  EXPECT_EQ(next("@weekly", "2026-12-05T10:00:00Z"), "2026-12-06T00:00:00Z");
  EXPECT_EQ(next("@monthly", "2026-12-05T10:00:00Z"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(next("@yearly", "2026-12-05T10:00:00Z"), "2027-01-01T00:00:00Z");
}

TEST(CronSchedule, BothDayFieldsRestrictedMeansEither) {
  // crontab(5): "0 0 13 * FRI" runs on every 13th and on every Friday.
  EXPECT_EQ(next("0 0 13 * FRI", "2026-12-05T00:00:00Z"), "2026-12-11T00:00:00Z");  // a Friday
  EXPECT_EQ(next("0 0 13 * FRI", "2026-12-12T00:00:00Z"), "2026-12-13T00:00:00Z");  // a Sunday, the 13th
}

TEST(CronSchedule, RareDatesAreFound) {
  EXPECT_EQ(next("0 0 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(next("0 0 31 * *", "2026-11-01T00:00:00Z"), "2026-12-31T00:00:00Z");
}

TEST(CronSchedule, RefusalsNameTheField) {
  EXPECT_NE(refusal("").find("five fields"), std::string::npos);
  EXPECT_NE(refusal("* * *").find("five fields"), std::string::npos);
  EXPECT_NE(refusal("@sometimes").find("five fields"), std::string::npos);
  EXPECT_EQ(refusal("60 * * * *"), "minute: '60' is not a value or range within 0-59");
  EXPECT_EQ(refusal("* 24 * * *"), "hour: '24' is not a value or range within 0-23");
  EXPECT_EQ(refusal("* * 0 * *"), "day of month: '0' is not a value or range within 1-31");
  EXPECT_EQ(refusal("* * * 13 *"), "month: '13' is not a value or range within 1-12");
  EXPECT_EQ(refusal("* * * * FOO"), "day of week: 'FOO' is not a value or range within 0-7");
  EXPECT_EQ(refusal("5-1 * * * *"), "minute: '5-1' is not a value or range within 0-59");
  EXPECT_EQ(refusal("*/0 * * * *"), "minute: step '0' is not a number from 1 to 59");
  EXPECT_EQ(refusal("1,,2 * * * *"), "minute: empty list element");
  EXPECT_EQ(refusal("0 0 31 2 *"), "day of month and month name no date that exists");
  EXPECT_EQ(refusal("0 0 31 2 MON"), "");  // Mondays in February still run
}

}  // namespace
}  // namespace signet::host
