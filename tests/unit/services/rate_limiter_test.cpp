// Token buckets: a burst, then the steady rate, per key, with the wait.
#include <gtest/gtest.h>

#include "http/rate_limiter.hpp"

namespace signet::host {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiter, AllowsABurstThenTheRateAndSaysHowLongToWait) {
  RateLimiter limiter(2.0, 3.0);
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a", t0)) << i;
  const auto wait = limiter.take("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 1);
  EXPECT_FALSE(limiter.take("b", t0));                       // another key has its own bucket
  EXPECT_FALSE(limiter.take("a", t0 + milliseconds(500)));  // 2/s: one more after half a second
  EXPECT_TRUE(limiter.take("a", t0 + milliseconds(600)));
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a", t0 + milliseconds(10'000))) << i;  // refilled to the burst only
  EXPECT_TRUE(limiter.take("a", t0 + milliseconds(10'000)));
}

TEST(RateLimiter, StaysBoundedWhenKeysKeepChanging) {
  RateLimiter limiter(1.0, 1.0, 100);
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.take("k" + std::to_string(i), t0));
  EXPECT_TRUE(limiter.take("k999", t0));  // the newest key keeps its empty bucket
}

}  // namespace
}  // namespace signet::host
