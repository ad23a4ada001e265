// Cron schedules (the five fields of crontab(5): minute, hour, day of
// month, month, day of week), evaluated in UTC. Used by the renewal
// scheduler (renewal.schedule in docs/configuration.md).
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "util/time.hpp"

namespace signet::host {

class CronSchedule {
 public:
  // "0 2 * * *", "*/15 * * * *", "0 9-17 * * MON-FRI", "@daily", ... On
  // failure, `error` says which field is wrong and why.
  static std::optional<CronSchedule> parse(std::string_view text, std::string& error);

  // The first whole minute strictly after `t` that the schedule names.
  // Every valid schedule names one within eight years (29 February).
  TimePoint next_after(TimePoint t) const;

  const std::string& text() const { return text_; }

 private:
  bool matches_day(int day_of_month, int month, int day_of_week) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
  bool any_day_ = true;       // day of month was "*"
  bool any_weekday_ = true;   // day of week was "*"
};

}  // namespace signet::host
