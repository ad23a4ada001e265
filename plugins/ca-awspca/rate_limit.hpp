// At most N calls in any one-second window, per CA instance (a sliding
// window rather than a token bucket, whose bursts can double the rate over
// a second). AWS Private CA's IssueCertificate quota is 25 a second per
// account and region; going over it only buys ThrottlingException.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>

namespace signet::awspca {

class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimit(int per_second) : limit_(static_cast<std::size_t>(per_second)) {}

  // Takes a slot when the last second holds fewer than N calls; otherwise
  // says how long until one frees. Never waits: a caller without a slot
  // answers rate_limited, and the host comes back later.
  std::chrono::milliseconds take(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    while (!calls_.empty() && now - calls_.front() >= std::chrono::seconds(1)) calls_.pop_front();
    if (calls_.size() < limit_) {
      calls_.push_back(now);
      return std::chrono::milliseconds(0);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(calls_.front() + std::chrono::seconds(1) - now) +
           std::chrono::milliseconds(1);
  }

 private:
  const std::size_t limit_;
  std::mutex mutex_;
  std::deque<Clock::time_point> calls_;
};

}  // namespace signet::awspca
