// Kind `notifier`: delivers certificate lifecycle events.
#pragma once

#include <chrono>
#include <string>

#include <signet/plugin.hpp>

namespace signet {

enum class EventType { issued, renewed, revoked, expiring, failed };

inline const char* to_string(EventType type) noexcept {
  switch (type) {
    case EventType::issued: return "issued";
    case EventType::renewed: return "renewed";
    case EventType::revoked: return "revoked";
    case EventType::expiring: return "expiring";
    case EventType::failed: return "failed";
  }
  return "unknown";
}

struct Event {
  std::string id;  // unique per event: receivers use it to drop duplicates
  EventType type = EventType::issued;
  std::string tenant;
  std::string request_id;
  std::string certificate_id;
  std::chrono::system_clock::time_point time;
  // certificate fields (serial, common_name, not_after, ...) and the
  // request's metadata (requester, ticket, ...); never key material.
  nlohmann::json data = nlohmann::json::object();
};

class SIGNET_SDK_API Notifier : public Plugin {
 public:
  // Delivery is at least once: the host calls again with the same event id
  // after a retryable error or a crash.
  virtual Result<void> notify(const Event& event) = 0;
};

}  // namespace signet
