// The notification outbox's tables, events and notifications
// (docs/notifications.md): what a change records, what the dispatcher claims
// and finishes, and the listing behind GET /v1/notifications.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// One event of the outbox.
struct EventRow {
  std::string id, tenant_id;
  std::string type;                        // its name: signet::to_string(EventType)
  std::string certificate_id, request_id;  // "" = NULL
  TimePoint time{};
  nlohmann::json data = nlohmann::json::object();
};

// One notifier's notification of an event.
struct NewNotification {
  std::string id, event_id, tenant_id;
  std::string notifier;  // "" = nobody (no notifier was configured)
  std::string status;    // "pending" or "not_sent"
  std::string reason;    // "" = NULL
  TimePoint created_at{};  // also its first next_attempt_at and its updated_at
};

// Inside the caller's write transaction; each is a no-op when its id exists
// already (a rerun of what caused it). Throw on database errors.
void insert_event(soci::session& s, const EventRow& event);
void insert_notification(soci::session& s, const NewNotification& notification);

// Whether a pending notification is due at `now` and not leased.
Result<bool> any_notification_due(Database& db, TimePoint now);
// Leases up to `limit` due notifications to `lease_token` until `lease_until`
// (a lapsed lease is a host that died mid-delivery).
Result<void> claim_due_notifications(Database& db, const std::string& lease_token, TimePoint now,
                                     TimePoint lease_until, int limit);

// A notification leased for delivery, with its event.
struct ClaimedNotification {
  std::string id, notifier;
  int attempts = 0;
  TimePoint created_at{};
  std::string event_id, event_type, tenant_slug;
  std::string request_id, certificate_id;  // "" when none
  TimePoint event_time{};
  nlohmann::json event_data = nlohmann::json::object();  // {} when the stored text is not JSON
};
// The pending notifications leased to `lease_token`.
Result<std::vector<ClaimedNotification>> claimed_notifications(Database& db, const std::string& lease_token);

// The outcome of one delivery attempt; ends the lease.
struct DeliveryAttempt {
  std::string id, lease_token;
  std::string status;  // delivered, pending, failed or not_sent
  std::string reason;  // "" = NULL
  int attempts = 0;
  TimePoint next_attempt_at{}, at{};
};
// Nothing changes when the lease was taken over by another host.
Result<void> record_delivery_attempt(Database& db, const DeliveryAttempt& attempt);

struct NotificationFilter {
  std::string status, type, certificate_id, event_id, notifier;  // exact; "" = any
  int limit = 100;
  std::string cursor;  // from the previous page
};

struct NotificationItem {
  std::string id, event_id, event_type;
  std::string notifier;  // "" = nobody
  std::string status;
  std::string reason;    // "" when none
  int attempts = 0;
  TimePoint next_attempt_at{};
  std::optional<TimePoint> last_attempt_at;
  TimePoint created_at{}, updated_at{};
  std::string certificate_id, request_id;  // "" when none
  TimePoint event_time{};
  nlohmann::json data = nlohmann::json::object();  // {} when the stored text is not JSON
};

struct NotificationPage {
  std::vector<NotificationItem> items;  // newest first
  std::string next_cursor;              // empty on the last page
};

// A tenant's notifications with their events. Error{invalid_argument} for a
// cursor this API did not hand out (its id may be empty).
Result<NotificationPage> list_notifications(Database& db, const std::string& tenant_id,
                                            const NotificationFilter& filter);

}  // namespace signet::host
