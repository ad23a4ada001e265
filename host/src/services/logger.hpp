// Structured logging: one JSON object per line on stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <signet/services.hpp>

namespace spdlog {
class logger;
}

namespace signet::host {

// "debug", "info", "warn" (or "warning"), "error"; case does not matter.
std::optional<signet::LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(signet::LogLevel level);

// RFC 3339 in UTC with milliseconds: "2026-11-23T10:00:00.123Z".
std::string to_rfc3339_millis(std::chrono::system_clock::time_point t);

// Writes {"time":...,"level":...,"msg":...,"component":...,<fields>} per
// line. A field named like one of those keys goes under "fields" instead, so
// a plugin cannot forge or hide them. Thread-safe; logging never throws.
class JsonLogger final : public signet::Logger {
 private:
  struct SharedSinkTag {
    explicit SharedSinkTag() = default;
  };

 public:
  explicit JsonLogger(signet::LogLevel min_level, std::string component = {});
  // For with_component(); the tag keeps it out of reach of other callers.
  JsonLogger(SharedSinkTag, std::shared_ptr<spdlog::logger> sink,
             std::shared_ptr<std::atomic<signet::LogLevel>> min_level, std::string component);

  void log(signet::LogLevel level, std::string_view message,
           const nlohmann::json& fields) override;

  bool enabled(signet::LogLevel level) const;
  // A reload's new log_level: this logger and every one derived from it
  // (or it from) log from that level on.
  void set_level(signet::LogLevel level) { min_level_->store(level); }
  // A logger for `component` writing through the same sink and level.
  std::shared_ptr<JsonLogger> with_component(std::string component) const;

 private:
  std::string format_line(signet::LogLevel level, std::string_view message,
                          const nlohmann::json& fields) const;

  std::shared_ptr<spdlog::logger> sink_;
  std::shared_ptr<std::atomic<signet::LogLevel>> min_level_;
  std::string component_;
};

}  // namespace signet::host
