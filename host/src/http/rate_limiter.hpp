// Token buckets by key (a source address, a principal): `rate` requests a
// second on average, `burst` at once. In memory, per host: several hosts
// behind a balancer each allow the rate.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace signet::host {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate, double burst, std::size_t max_keys = 100'000)
      : rate_(rate), burst_(burst), max_keys_(max_keys) {}

  // A refused request: how long until the bucket holds one again (whole
  // seconds, at least 1) and how many requests of this key were refused
  // in a row, this one included (the audit log records the first only).
  struct Throttle {
    std::chrono::seconds retry_after;
    std::uint64_t in_a_row;
  };
  // Takes one request from key's bucket, or says why not.
  std::optional<Throttle> take(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
    std::uint64_t refused = 0;  // in a row, since the last request let through
  };
  void forget_full_buckets(Clock::time_point now);  // under mutex_

  const double rate_, burst_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace signet::host
