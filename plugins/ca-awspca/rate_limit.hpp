// At most N calls in any one-second window, per CA instance, as AWS counts
// them. AWS Private CA's IssueCertificate quota is 25 a second per account
// and region; going over it only buys ThrottlingException.
//
// A slot is held while its call is in flight and is dated when the call
// ends, not when it began: a call that waited in the network or the
// scheduler arrives at AWS later than it was allowed, and dating it by its
// start let AWS see N+1 calls in a second. Dated at its end (after AWS saw
// it), the next call on the same slot reaches AWS a full second later.
// A sliding window rather than a token bucket, whose bursts can double the
// rate over a second.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace signet::awspca {

class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;

  // A taken slot; giving it back (on destruction) dates the call.
  class Slot {
   public:
    explicit Slot(RateLimit& owner) : owner_(&owner) {}
    Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (owner_) owner_->give_back();
    }

   private:
    RateLimit* owner_;
  };

  explicit RateLimit(int per_second) : limit_(static_cast<std::size_t>(per_second)) {}

  // A slot when fewer than N calls are in flight or ended within the last
  // second. Never waits: a caller without a slot answers rate_limited and
  // the host comes back later.
  std::optional<Slot> take(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    while (!ended_.empty() && now - ended_.front() >= std::chrono::seconds(1)) ended_.pop_front();
    if (ended_.size() + in_flight_ >= limit_) return std::nullopt;
    ++in_flight_;
    return std::optional<Slot>(std::in_place, *this);
  }

 private:
  void give_back() {
    std::lock_guard lock(mutex_);
    --in_flight_;
    ended_.push_back(Clock::now());
  }

  const std::size_t limit_;
  std::mutex mutex_;
  std::size_t in_flight_ = 0;
  std::deque<Clock::time_point> ended_;  // in order: each is dated under the lock
};

}  // namespace signet::awspca
