// The notification outbox (docs/notifications.md). An event is written in
// the same transaction as the change that caused it, together with one
// notification per notifier that should hear it; the dispatcher delivers
// them afterwards, at least once. An event nobody will hear (no notifier
// configured, superseded, about a replaced certificate) gets a notification
// with status not_sent and the reason, so silence is always explained.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/notifier.hpp>

#include "util/time.hpp"

namespace soci {
class session;
}

namespace signet::host {

struct OutboxEvent {
  std::string id;  // the same for every retry of what caused it: event_id()
  std::string tenant_id;
  EventType type = EventType::issued;
  std::string certificate_id, request_id;
  TimePoint time{};
  nlohmann::json data = nlohmann::json::object();
};

// "evt_" and a digest of what makes the event unique ("<request id>:renewed",
// "<certificate id>:expiring:7"): a rerun after a crash makes the same id.
std::string event_id(std::string_view what);

// Inside a write transaction. The event is recorded once (a rerun changes
// nothing); each notifier gets a pending notification, and with no notifier
// one not_sent notification says so.
void record_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers);

// Inside a write transaction: the event, and a not_sent notification for
// each notifier (or for nobody) with `reason`.
void record_unsent_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers,
                         const std::string& reason);

}  // namespace signet::host
