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
  EXPECT_EQ(wait->retry_after.count(), 1);
  EXPECT_EQ(wait->in_a_row, 1u);
  EXPECT_FALSE(limiter.take("b", t0));                       // another key has its own bucket
  EXPECT_FALSE(limiter.take("a", t0 + milliseconds(500)));  // 2/s: one more after half a second
  const auto again = limiter.take("a", t0 + milliseconds(600));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->in_a_row, 1u);  // a request got through in between: a new run of refusals
  EXPECT_EQ(limiter.take("a", t0 + milliseconds(601))->in_a_row, 2u);
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
