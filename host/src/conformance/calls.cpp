#include "conformance/calls.hpp"

namespace signet::host::conformance {
namespace {

bool exempt_from_bound(const std::string& what) { return what == "initialize" || what == "import_ca"; }

std::string in_seconds(std::chrono::milliseconds d) {
  return std::to_string(d.count() / 1000) + "." + std::to_string(d.count() % 1000 / 100) + " s";
}

}  // namespace

std::string malformed(const Error& error) {
  const int code = static_cast<int>(error.code);
  if (code < static_cast<int>(ErrorCode::internal) || code > static_cast<int>(ErrorCode::invalid_config))
    return "unknown error code " + std::to_string(code);
  if (error.message.empty()) return std::string(to_string(error.code)) + " error without a message";
  if (error.retry_after && (error.retry_after->count() < 0 || error.retry_after->count() > 86400))
    return "retry_after of " + std::to_string(error.retry_after->count()) + " s (outside 0 s .. 1 day)";
  return {};
}

Calls::~Calls() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

std::uint64_t Calls::begin(const std::string& what) {
  std::lock_guard lock(mutex_);
  in_flight_[++next_token_] = {what, Clock::now()};
  return next_token_;
}

void Calls::end(std::uint64_t token, const std::string& what, const std::optional<std::string>& thrown,
                const Error* error) {
  std::lock_guard lock(mutex_);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - in_flight_[token].second);
  in_flight_.erase(token);
  if (!exempt_from_bound(what)) {
    if (elapsed > slowest_) slowest_ = elapsed, slowest_what_ = what;
    if (elapsed > bound_) slow_.push_back(what + " took " + in_seconds(elapsed));
  }
  if (thrown) exceptions_.push_back(what + " threw: " + *thrown);
  else if (error)
    if (auto why = malformed(*error); !why.empty()) malformed_.push_back(what + ": " + why);
}

std::vector<std::string> Calls::slow_calls() const { std::lock_guard lock(mutex_); return slow_; }
std::vector<std::string> Calls::exceptions() const { std::lock_guard lock(mutex_); return exceptions_; }
std::vector<std::string> Calls::malformed_errors() const { std::lock_guard lock(mutex_); return malformed_; }

std::chrono::milliseconds Calls::slowest(std::string* what) const {
  std::lock_guard lock(mutex_);
  if (what) *what = slowest_what_;
  return slowest_;
}

void Calls::watch(std::chrono::seconds limit, std::function<void(const std::string&, std::chrono::seconds)> on_hang) {
  watchdog_ = std::thread([this, limit, on_hang = std::move(on_hang)] { watchdog(limit, on_hang); });
}

void Calls::watchdog(std::chrono::seconds limit, std::function<void(const std::string&, std::chrono::seconds)> on_hang) {
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_; })) {
    for (const auto& [token, call] : in_flight_) {
      const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - call.second);
      if (elapsed < limit) continue;
      const std::string what = call.first;
      lock.unlock();
      on_hang(what, elapsed);
      return;
    }
  }
}

}  // namespace signet::host::conformance
