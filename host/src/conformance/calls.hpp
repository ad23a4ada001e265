// Every call the kit makes into the plugin goes through Calls::run: it is
// timed against the bound, an exception that crosses the boundary is caught
// and recorded, and every error returned is checked for a known code and a
// message. A watchdog ends the run when a call never returns.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <signet/result.hpp>

namespace signet::host::conformance {

using Clock = std::chrono::steady_clock;

class Calls {
 public:
  // Calls slower than `bound` are violations; `initialize` and `import_ca`
  // (creating a CA, not serving a request) are exempt.
  explicit Calls(std::chrono::milliseconds bound) : bound_(bound) {}
  ~Calls();

  template <class F>
  auto run(const std::string& what, F&& call) -> decltype(call()) {
    const auto token = begin(what);
    std::optional<std::string> thrown;
    auto result = [&]() -> decltype(call()) {
      try {
        return call();
      } catch (const std::exception& e) {
        thrown = e.what();
      } catch (...) {
        thrown = "a non-standard exception";
      }
      return make_error(ErrorCode::internal, what + " threw across the plugin boundary: " + *thrown);
    }();
    end(token, what, thrown, result.ok() ? nullptr : &result.error());
    return result;
  }

  std::chrono::milliseconds bound() const { return bound_; }

  // Violations so far, one line each.
  std::vector<std::string> slow_calls() const;
  std::vector<std::string> exceptions() const;
  std::vector<std::string> malformed_errors() const;
  std::chrono::milliseconds slowest(std::string* what = nullptr) const;

  // Starts a thread that calls `on_hang(what, elapsed)` once when a call has
  // not returned after `limit`; on_hang is expected to end the process.
  void watch(std::chrono::seconds limit, std::function<void(const std::string&, std::chrono::seconds)> on_hang);

 private:
  std::uint64_t begin(const std::string& what);
  void end(std::uint64_t token, const std::string& what, const std::optional<std::string>& thrown, const Error* error);
  void watchdog(std::chrono::seconds limit, std::function<void(const std::string&, std::chrono::seconds)> on_hang);

  std::chrono::milliseconds bound_;
  mutable std::mutex mutex_;
  std::uint64_t next_token_ = 0;
  std::map<std::uint64_t, std::pair<std::string, Clock::time_point>> in_flight_;
  std::vector<std::string> slow_, exceptions_, malformed_;
  std::chrono::milliseconds slowest_{0};
  std::string slowest_what_;

  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread watchdog_;
};

// Why `error` is not a well-formed error of the SDK, or "" when it is.
std::string malformed(const Error& error);

}  // namespace signet::host::conformance
