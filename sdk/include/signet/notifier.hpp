// Kind `notifier`: delivers certificate lifecycle events.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

#include <signet/intake.hpp>
#include <signet/plugin.hpp>

namespace signet {

// SDK 1.1 added expired and secret_rotation: a notifier should treat a type
// it does not know as informational, since later minors may add more.
enum class EventType { issued, renewed, revoked, expiring, failed, expired, secret_rotation };

inline const char* to_string(EventType type) noexcept {
  switch (type) {
    case EventType::issued: return "issued";
    case EventType::renewed: return "renewed";
    case EventType::revoked: return "revoked";
    case EventType::expiring: return "expiring";
    case EventType::failed: return "failed";
    case EventType::expired: return "expired";
    case EventType::secret_rotation: return "secret_rotation";
  }
  return "unknown";
}

// An event time as receivers read it: RFC 3339 UTC, "2026-11-23T10:00:00Z".
inline std::string to_rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

struct Event {
  std::string id;  // unique per event: receivers use it to drop duplicates
  EventType type = EventType::issued;
  std::string tenant;  // the tenant's slug
  std::string request_id;
  std::string certificate_id;
  std::chrono::system_clock::time_point time;
  // certificate fields (serial, common_name, not_after, ...) and the
  // request's metadata (requester, ticket, ...); never key material.
  nlohmann::json data = nlohmann::json::object();
  // SDK 1.1: the application the certificate belongs to ("" when none), so
  // a notifier can route per application.
  std::string service;
};

class SIGNET_SDK_API Notifier : public Plugin {
 public:
  // Delivery is at least once: the host calls again with the same event id
  // after a retryable error (unavailable, timeout, rate_limited) or a crash.
  // Error{not_found}: this notifier has no receiver for the event (recorded
  // as not sent, with the message). Any other error: the receiver refused
  // it for good (recorded as failed, not retried).
  virtual Result<void> notify(const Event& event) = 0;

  // SDK 1.2: a notifier that also brings requests in from its system
  // returns its RequestSource (owned by the notifier, living as long as
  // it); the host polls it (signet/intake.hpp). The host calls this only
  // on plugins built for SDK 1.2 or later.
  virtual RequestSource* request_source() { return nullptr; }
};

}  // namespace signet
