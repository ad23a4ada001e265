#include "services/logger.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace signet::host {
namespace {

using OrderedJson = nlohmann::ordered_json;


spdlog::level::level_enum to_spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::err;
}

// Not registered with spdlog's global registry: that would make a second
// JsonLogger in one process (tests) fail on the duplicate name.
std::shared_ptr<spdlog::logger> make_stderr_sink() {
  auto sink = std::make_shared<spdlog::logger>(
      "signet", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  sink->set_pattern("%v");  // the line is complete JSON; spdlog adds only the newline
  sink->set_level(spdlog::level::trace);  // JsonLogger filters itself
  return sink;
}

// Keys the logger writes itself; a field by one of these names would
// overwrite or impersonate them.
bool is_reserved_key(std::string_view key) {
  return key == "time" || key == "level" || key == "msg" || key == "component" ||
         key == "fields";
}

void merge_fields(OrderedJson& line, const nlohmann::json& fields) {
  if (fields.is_null()) return;
  if (!fields.is_object()) {
    line["fields"] = OrderedJson(fields);
    return;
  }
  for (const auto& [key, value] : fields.items()) {
    if (is_reserved_key(key)) {
      line["fields"][key] = OrderedJson(value);
    } else {
      line[key] = OrderedJson(value);
    }
  }
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  const std::string name = ascii_lowercase(text);
  if (name == "debug") return LogLevel::debug;
  if (name == "info") return LogLevel::info;
  if (name == "warn" || name == "warning") return LogLevel::warn;
  if (name == "error") return LogLevel::error;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "error";
}

std::string to_rfc3339_millis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  // floor, not duration_cast: times before 1970 must not round toward it.
  const auto day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss time_of_day{floor<milliseconds>(t) - day};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time_of_day.hours().count()),
                static_cast<int>(time_of_day.minutes().count()),
                static_cast<int>(time_of_day.seconds().count()),
                static_cast<int>(time_of_day.subseconds().count()));
  return text;
}

JsonLogger::JsonLogger(LogLevel min_level, std::string component)
    : JsonLogger(SharedSinkTag{}, make_stderr_sink(), std::make_shared<std::atomic<LogLevel>>(min_level),
                 std::move(component)) {}

JsonLogger::JsonLogger(SharedSinkTag, std::shared_ptr<spdlog::logger> sink,
                       std::shared_ptr<std::atomic<LogLevel>> min_level, std::string component)
    : sink_(std::move(sink)), min_level_(min_level), component_(std::move(component)) {}

bool JsonLogger::enabled(LogLevel level) const {
  return static_cast<int>(level) >= static_cast<int>(min_level_->load(std::memory_order_relaxed));
}

std::shared_ptr<JsonLogger> JsonLogger::with_component(std::string component) const {
  return std::make_shared<JsonLogger>(SharedSinkTag{}, sink_, min_level_, std::move(component));
}

void JsonLogger::log(LogLevel level, std::string_view message, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  try {
    const std::string line = format_line(level, message, fields);
    sink_->log(to_spdlog_level(level), spdlog::string_view_t(line.data(), line.size()));
  } catch (...) {
    // A failed log line (out of memory) must not take down the caller,
    // which may be plugin code no exception may enter.
  }
}

std::string JsonLogger::format_line(LogLevel level, std::string_view message,
                                    const nlohmann::json& fields) const {
  OrderedJson line;
  line["time"] = to_rfc3339_millis(std::chrono::system_clock::now());
  line["level"] = std::string(to_string(level));
  line["msg"] = std::string(message);
  if (!component_.empty()) line["component"] = component_;
  merge_fields(line, fields);
  // Invalid UTF-8 (from a remote error body, say) is replaced rather than
  // making dump() throw and losing the whole line.
  return line.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

}  // namespace signet::host
