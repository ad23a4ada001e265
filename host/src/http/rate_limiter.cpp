#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace signet::host {

std::optional<RateLimiter::Throttle> RateLimiter::take(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= max_keys_ && !buckets_.count(key)) forget_full_buckets(now);
  auto [it, added] = buckets_.try_emplace(key, Bucket{burst_, now, 0});
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    b.refused = 0;
    return std::nullopt;
  }
  const auto wait = static_cast<long long>(std::ceil((1.0 - b.tokens) / rate_));
  return Throttle{std::chrono::seconds(std::max<long long>(1, wait)), ++b.refused};
}

// A bucket that has refilled is the same as no bucket: dropping those keeps
// the map bounded against callers that vary their address.
void RateLimiter::forget_full_buckets(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.at).count();
    if (it->second.tokens + elapsed * rate_ >= burst_) it = buckets_.erase(it);
    else ++it;
  }
  if (buckets_.size() >= max_keys_) buckets_.clear();  // all busy: start over rather than grow
}

}  // namespace signet::host
