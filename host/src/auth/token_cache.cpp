#include "auth/token_cache.hpp"

namespace signet::host {

std::optional<Principal> TokenCache::find(const std::string& token_hash, TimePoint now) const {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(token_hash);
  if (found == entries_.end() || found->second.until <= now) return std::nullopt;
  return found->second.principal;
}

void TokenCache::put(const std::string& token_hash, const Principal& principal, std::optional<TimePoint> token_expires,
                     TimePoint now) {
  TimePoint until = now + ttl_;
  if (token_expires && *token_expires < until) until = *token_expires;
  std::lock_guard lock(mutex_);
  // Full: start over rather than track ages; the next calls refill it.
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(token_hash, Entry{principal, until});
}

void TokenCache::forget(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  entries_.erase(token_hash);
}

}  // namespace signet::host
