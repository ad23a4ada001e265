#include "notify/outbox.hpp"

#include "db/prepared.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

// The event row, once: INSERT ... WHERE NOT EXISTS is portable (SQLite and
// PostgreSQL) and a no-op on a rerun.
void insert_event(soci::session& s, const OutboxEvent& e) {
  execute(s,
          "INSERT INTO events (id, tenant_id, type, certificate_id, request_id, time, data) "
          "SELECT :id, :tenant, :type, :cert, :req, :time, :data WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = :id2)",
          {e.id, e.tenant_id, to_string(e.type), SqlParam::text_or_null(e.certificate_id),
           SqlParam::text_or_null(e.request_id), static_cast<long long>(to_unix_ms(e.time)),
           e.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), e.id});
}

void insert_notification(soci::session& s, const OutboxEvent& e, const std::string& notifier, const char* status,
                         const std::string& reason) {
  const long long now = to_unix_ms(Clock::now());
  // Derived from the event and the notifier: a rerun finds its own row.
  const std::string id = "ntf_" + sha256_hex(e.id + "\n" + notifier).substr(0, 26);
  execute(s,
          "INSERT INTO notifications (id, event_id, tenant_id, notifier, status, reason, attempts, next_attempt_at, "
          "created_at, updated_at) SELECT :id, :event, :tenant, :notifier, :status, :reason, 0, :next, :created, "
          ":updated WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE id = :id2)",
          {id, e.id, e.tenant_id, notifier, status, SqlParam::text_or_null(reason), now, now, now, id});
}

}  // namespace

std::string event_id(std::string_view what) { return "evt_" + sha256_hex(what).substr(0, 26); }

void record_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers) {
  if (notifiers.empty()) return record_unsent_event(s, event, notifiers, "no notifier is configured for this event");
  insert_event(s, event);
  for (const auto& n : notifiers) insert_notification(s, event, n, "pending", "");
}

void record_unsent_event(soci::session& s, const OutboxEvent& event, const std::vector<std::string>& notifiers,
                         const std::string& reason) {
  insert_event(s, event);
  if (notifiers.empty()) return insert_notification(s, event, "", "not_sent", reason);
  for (const auto& n : notifiers) insert_notification(s, event, n, "not_sent", reason);
}

}  // namespace signet::host
