// The short-lived cache of authenticated tokens: never past its TTL, never
// past the token's own expiry, bounded in size.
#include <gtest/gtest.h>

#include "auth/token_cache.hpp"

namespace signet::host {
namespace {

using std::chrono::milliseconds;

Principal principal(const std::string& id) { return Principal{id, "ten_1", "default", {"pki_admin"}, "", "token"}; }

TEST(TokenCache, AnswersWithinItsTtlOnly) {
  TokenCache cache(milliseconds(1000));
  const TimePoint now = Clock::now();
  EXPECT_FALSE(cache.find("h1", now));
  cache.put("h1", principal("tok_1"), std::nullopt, now);
  ASSERT_TRUE(cache.find("h1", now + milliseconds(999)));
  EXPECT_EQ(cache.find("h1", now)->id, "tok_1");
  EXPECT_FALSE(cache.find("h1", now + milliseconds(1000)));
  EXPECT_FALSE(cache.find("h2", now));
}

TEST(TokenCache, NeverOutlivesTheTokenAndForgets) {
  TokenCache cache(milliseconds(1000));
  const TimePoint now = Clock::now();
  cache.put("h1", principal("tok_1"), now + milliseconds(10), now);
  EXPECT_TRUE(cache.find("h1", now + milliseconds(9)));
  EXPECT_FALSE(cache.find("h1", now + milliseconds(10)));
  cache.put("h2", principal("tok_2"), std::nullopt, now);
  cache.forget("h2");
  EXPECT_FALSE(cache.find("h2", now));
}

TEST(TokenCache, StaysWithinItsCapacity) {
  TokenCache cache(milliseconds(1000), 3);
  const TimePoint now = Clock::now();
  for (int i = 0; i < 3; ++i) cache.put("h" + std::to_string(i), principal("t"), std::nullopt, now);
  EXPECT_TRUE(cache.find("h0", now));
  cache.put("h3", principal("t"), std::nullopt, now);  // full: starts over
  EXPECT_FALSE(cache.find("h0", now));
  EXPECT_TRUE(cache.find("h3", now));
}

}  // namespace
}  // namespace signet::host
