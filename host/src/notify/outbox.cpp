#include "notify/outbox.hpp"

#include "db/notifications.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

// The event row, once (a rerun changes nothing).
void write_event(soci::session& s, const OutboxEvent& e) {
  insert_event(s, {e.id, e.tenant_id, to_string(e.type), e.certificate_id, e.request_id, e.time, e.data});
}

void write_notification(soci::session& s, const OutboxEvent& e, const std::string& notifier, const char* status,
                        const std::string& reason) {
  // Derived from the event and the notifier: a rerun finds its own row.
  const std::string id = "ntf_" + sha256_hex(e.id + "\n" + notifier).substr(0, 26);
  insert_notification(s, {id, e.id, e.tenant_id, notifier, status, reason, Clock::now()});
}

}  // namespace

std::string event_id(std::string_view what) { return "evt_" + sha256_hex(what).substr(0, 26); }

void record_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers) {
  if (notifiers.empty()) return record_unsent_event(s, event, notifiers, "no notifier is configured for this event");
  write_event(s, event);
  for (const auto& n : notifiers) write_notification(s, event, n, "pending", "");
}

void record_unsent_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers,
                         const std::string& reason) {
  write_event(s, event);
  if (notifiers.empty()) return write_notification(s, event, "", "not_sent", reason);
  for (const auto& n : notifiers) write_notification(s, event, n, "not_sent", reason);
}

}  // namespace signet::host
