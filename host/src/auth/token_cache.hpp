// Tokens that authenticated a moment ago, by hash. Every API call carries a
// bearer token, and looking its row up was a tenth of the cost of issuing
// a certificate (docs/BENCHMARKS.md); the row itself changes rarely. An
// entry lives for `ttl` at most and never past the token's own expiry, so a
// token revoked in the database stops working within `ttl` everywhere.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/principal.hpp"
#include "util/time.hpp"

namespace signet::host {

class TokenCache {
 public:
  explicit TokenCache(std::chrono::milliseconds ttl, std::size_t capacity = 10'000) : ttl_(ttl), capacity_(capacity) {}

  std::optional<Principal> find(const std::string& token_hash, TimePoint now) const;
  void put(const std::string& token_hash, const Principal& principal, std::optional<TimePoint> token_expires,
           TimePoint now);
  void forget(const std::string& token_hash);

 private:
  struct Entry {
    Principal principal;
    TimePoint until;
  };
  const std::chrono::milliseconds ttl_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace signet::host
