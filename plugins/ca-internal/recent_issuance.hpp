// The certificates this instance issued lately, by request_id. The host may
// send a request_id again in this process (a retry after its save failed);
// it gets the certificate it was given before, not a second one. Across a
// restart there is nothing to remember: the host saves a local CA's
// certificate with its request in one commit, so a certificate that was not
// saved was never handed out (docs/plugins/ca-internal.md, "Idempotency").
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <signet/ca.hpp>

namespace signet::ca_internal {

class RecentIssuance {
 public:
  explicit RecentIssuance(std::size_t capacity) : capacity_(capacity) {}

  std::optional<IssuedCertificate> find(const std::string& request_id) const {
    std::lock_guard lock(mutex_);
    const auto found = by_request_.find(request_id);
    if (found == by_request_.end()) return std::nullopt;
    return found->second;
  }

  // Forgets the oldest when full.
  void remember(const std::string& request_id, const IssuedCertificate& issued) {
    if (request_id.empty()) return;
    std::lock_guard lock(mutex_);
    if (!by_request_.emplace(request_id, issued).second) return;
    order_.push_back(request_id);
    if (order_.size() > capacity_) {
      by_request_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, IssuedCertificate> by_request_;
  std::deque<std::string> order_;
};

}  // namespace signet::ca_internal
