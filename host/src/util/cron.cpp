#include "util/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace signet::host {
namespace {

using namespace std::chrono;

struct Field {
  const char* name;
  int low, high;
  std::array<const char*, 12> names;  // JAN.. or SUN..; empty when numbers only
  int first_name_value;
};

constexpr Field kMinute{"minute", 0, 59, {}, 0};
constexpr Field kHour{"hour", 0, 23, {}, 0};
constexpr Field kDayOfMonth{"day of month", 1, 31, {}, 0};
constexpr Field kMonth{"month", 1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, 1};
// 7 is Sunday too, as in most crons.
constexpr Field kDayOfWeek{"day of week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, 0};

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == by) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

std::optional<int> value_of(std::string_view token, const Field& f) {
  int value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec == std::errc() && end == token.data() + token.size()) return value;
  for (std::size_t i = 0; i < f.names.size() && f.names[i]; ++i) {
    const std::string_view name = f.names[i];
    if (token.size() != name.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < name.size(); ++k)
      same = same && std::toupper(static_cast<unsigned char>(token[k])) == name[k];
    if (same) return f.first_name_value + static_cast<int>(i);
  }
  return std::nullopt;
}

// One comma-separated part: "*", "5", "1-5", "*/15", "10-50/10", "MON-FRI".
bool add_part(std::string_view part, const Field& f, std::vector<bool>& out, std::string& error) {
  int step = 1;
  if (const auto slash = part.find('/'); slash != std::string_view::npos) {
    const std::string_view s = part.substr(slash + 1);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
    if (ec != std::errc() || end != s.data() + s.size() || step < 1 || step > f.high) {
      error = std::string(f.name) + ": step '" + std::string(s) + "' is not a number from 1 to " + std::to_string(f.high);
      return false;
    }
    part = part.substr(0, slash);
  }
  int low = f.low, high = f.high;
  if (part != "*") {
    const auto dash = part.find('-');
    const auto first = value_of(part.substr(0, dash), f);
    const auto last = dash == std::string_view::npos ? first : value_of(part.substr(dash + 1), f);
    if (!first || !last || *first < f.low || *last > f.high || *first > *last) {
      error = std::string(f.name) + ": '" + std::string(part) + "' is not a value or range within " +
              std::to_string(f.low) + "-" + std::to_string(f.high);
      return false;
    }
    low = *first;
    // "5/15" means 5, 20, 35, 50 (from 5 to the end, every 15).
    high = dash == std::string_view::npos && step > 1 ? f.high : *last;
  }
  for (int v = low; v <= high; v += step) out[static_cast<std::size_t>(v)] = true;
  return true;
}

bool parse_field(std::string_view text, const Field& f, std::vector<bool>& out, std::string& error) {
  out.assign(static_cast<std::size_t>(f.high) + 1, false);
  for (std::string_view part : split(text, ','))
    if (part.empty() || !add_part(part, f, out, error)) {
      if (error.empty()) error = std::string(f.name) + ": empty list element";
      return false;
    }
  return true;
}

template <std::size_t N>
std::bitset<N> bits_of(const std::vector<bool>& v) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N && i < v.size(); ++i) out[i] = v[i];
  return out;
}

std::string_view macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

std::optional<CronSchedule> CronSchedule::parse(std::string_view text, std::string& error) {
  std::vector<std::string_view> fields;
  for (std::string_view f : split(macro(text), ' '))
    if (!f.empty()) fields.push_back(f);
  if (fields.size() != 5) {
    error = "a schedule has five fields (minute hour day-of-month month day-of-week) or is @hourly, @daily, @weekly, "
            "@monthly or @yearly";
    return std::nullopt;
  }
  CronSchedule s;
  s.text_ = std::string(text);
  std::vector<bool> v;
  if (!parse_field(fields[0], kMinute, v, error)) return std::nullopt;
  s.minutes_ = bits_of<60>(v);
  if (!parse_field(fields[1], kHour, v, error)) return std::nullopt;
  s.hours_ = bits_of<24>(v);
  if (!parse_field(fields[2], kDayOfMonth, v, error)) return std::nullopt;
  s.days_ = bits_of<32>(v);
  if (!parse_field(fields[3], kMonth, v, error)) return std::nullopt;
  s.months_ = bits_of<13>(v);
  if (!parse_field(fields[4], kDayOfWeek, v, error)) return std::nullopt;
  if (v[7]) v[0] = true;
  s.weekdays_ = bits_of<7>(v);
  s.any_day_ = fields[2] == "*";
  s.any_weekday_ = fields[4] == "*";
  // A schedule that names no real date ("0 0 31 2 *") would never run.
  bool some_day = false;
  for (int m = 1; m <= 12; ++m)
    for (int d = 1; d <= 31; ++d)
      some_day = some_day || (s.months_[static_cast<std::size_t>(m)] && s.days_[static_cast<std::size_t>(d)] &&
                              year_month_day(year(2024), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))).ok());
  if (!some_day && s.any_weekday_) {
    error = "day of month and month name no date that exists";
    return std::nullopt;
  }
  return s;
}

// crontab(5): when both day fields are restricted, a day matching either runs.
bool CronSchedule::matches_day(int day_of_month, int month_number, int day_of_week) const {
  if (!months_[static_cast<std::size_t>(month_number)]) return false;
  const bool by_day = days_[static_cast<std::size_t>(day_of_month)];
  const bool by_weekday = weekdays_[static_cast<std::size_t>(day_of_week)];
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return by_weekday;
  if (any_weekday_) return by_day;
  return by_day || by_weekday;
}

TimePoint CronSchedule::next_after(TimePoint t) const {
  auto minute_start = floor<minutes>(t) + minutes(1);
  sys_days day_start = floor<days>(minute_start);
  for (int d = 0; d < 366 * 8 + 2; ++d, day_start += days(1)) {
    const year_month_day ymd(day_start);
    const weekday wd(day_start);
    if (!matches_day(static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(wd.c_encoding())))
      continue;
    const auto first = std::max<sys_time<minutes>>(minute_start, day_start);
    for (auto m = first; m < day_start + days(1); m += minutes(1)) {
      const auto since_midnight = m - day_start;
      const auto h = static_cast<std::size_t>(duration_cast<hours>(since_midnight).count());
      if (!hours_[h]) {
        m = day_start + hours(h + 1) - minutes(1);
        continue;
      }
      const auto minute = static_cast<std::size_t>((since_midnight - hours(h)).count());
      if (minutes_[minute]) return time_point_cast<TimePoint::duration>(m);
    }
  }
  return TimePoint::max();  // unreachable for a schedule parse() accepted
}

}  // namespace signet::host
