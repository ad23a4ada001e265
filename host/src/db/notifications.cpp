#include "db/notifications.hpp"

#include <algorithm>

#include "db/filter_query.hpp"
#include "db/paging.hpp"
#include "db/prepared.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// Stored event data that is not JSON (it never should be) reads as {}.
json data_at(const soci::row& r, std::size_t i) {
  json data = json::parse(r.get<std::string>(i), nullptr, false);
  return data.is_discarded() ? json::object() : data;
}

// claimed_from() reads these by position.
constexpr const char* kClaimedColumns =
    "n.id, n.notifier, n.attempts, n.created_at, e.id, e.type, t.slug, e.request_id, e.certificate_id, e.time, e.data";

ClaimedNotification claimed_from(const soci::row& r) {
  ClaimedNotification n;
  n.id = r.get<std::string>(0);
  n.notifier = r.get<std::string>(1);
  n.attempts = r.get<int>(2);
  n.created_at = from_unix_ms(r.get<long long>(3));
  n.event_id = r.get<std::string>(4);
  n.event_type = r.get<std::string>(5);
  n.tenant_slug = text_at(r, 6);
  n.request_id = text_at(r, 7);
  n.certificate_id = text_at(r, 8);
  n.event_time = from_unix_ms(r.get<long long>(9));
  n.event_data = data_at(r, 10);
  return n;
}

// item_from() reads these by position.
constexpr const char* kItemColumns =
    "n.id, n.event_id, e.type, n.notifier, n.status, n.reason, n.attempts, n.next_attempt_at, "
    "n.last_attempt_at, n.created_at, n.updated_at, e.certificate_id, e.request_id, e.time, e.data";

NotificationItem item_from(const soci::row& r) {
  NotificationItem n;
  n.id = r.get<std::string>(0);
  n.event_id = r.get<std::string>(1);
  n.event_type = r.get<std::string>(2);
  n.notifier = r.get<std::string>(3);
  n.status = r.get<std::string>(4);
  n.reason = text_at(r, 5);
  n.attempts = r.get<int>(6);
  n.next_attempt_at = from_unix_ms(r.get<long long>(7));
  n.last_attempt_at = time_at(r, 8);
  n.created_at = from_unix_ms(r.get<long long>(9));
  n.updated_at = from_unix_ms(r.get<long long>(10));
  n.certificate_id = text_at(r, 11);
  n.request_id = text_at(r, 12);
  n.event_time = from_unix_ms(r.get<long long>(13));
  n.data = data_at(r, 14);
  return n;
}

}  // namespace

// INSERT ... WHERE NOT EXISTS is portable (SQLite and PostgreSQL) and a
// no-op on a rerun.
void insert_event(soci::session& s, const EventRow& e) {
  execute(s,
          "INSERT INTO events (id, tenant_id, type, certificate_id, request_id, time, data) "
          "SELECT :id, :tenant, :type, :cert, :req, :time, :data WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = :id2)",
          {e.id, e.tenant_id, e.type, SqlParam::text_or_null(e.certificate_id), SqlParam::text_or_null(e.request_id),
           static_cast<long long>(to_unix_ms(e.time)),
           e.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), e.id});
}

void insert_notification(soci::session& s, const NewNotification& n) {
  const long long now = to_unix_ms(n.created_at);
  execute(s,
          "INSERT INTO notifications (id, event_id, tenant_id, notifier, status, reason, attempts, next_attempt_at, "
          "created_at, updated_at) SELECT :id, :event, :tenant, :notifier, :status, :reason, 0, :next, :created, "
          ":updated WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE id = :id2)",
          {n.id, n.event_id, n.tenant_id, n.notifier, n.status, SqlParam::text_or_null(n.reason), now, now, now, n.id});
}

Result<bool> any_notification_due(Database& db, TimePoint now) {
  const long long now_ms = to_unix_ms(now);
  return read(db, [&](soci::session& s) -> Result<bool> {
    return query_number(s,
                        "SELECT 1 FROM notifications WHERE status = 'pending' AND next_attempt_at <= :now AND "
                        "(lease_until IS NULL OR lease_until < :now2) LIMIT 1",
                        {now_ms, now_ms})
        .has_value();
  });
}

// An UPDATE of a sub-select, the same on SQLite and PostgreSQL; which rows a
// host got is read back by the token (claimed_notifications). The outer
// WHERE repeats the claim's condition: on PostgreSQL (READ COMMITTED) a host
// that waited for another's row lock re-checks only the outer WHERE on the
// row as the other left it, so without it both hosts would take the row and
// deliver it twice.
Result<void> claim_due_notifications(Database& db, const std::string& lease_token, TimePoint now,
                                     TimePoint lease_until, int limit) {
  const long long now_ms = to_unix_ms(now), lease_ms = to_unix_ms(lease_until);
  return db.write([&](soci::session& s) {
    execute(s,
            "UPDATE notifications SET lease_owner = :token, lease_until = :lease WHERE id IN (SELECT id FROM "
            "notifications WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_until IS NULL OR "
            "lease_until < :now2) ORDER BY next_attempt_at LIMIT :n) AND status = 'pending' AND (lease_until IS NULL OR "
            "lease_until < :now3)",
            {lease_token, lease_ms, now_ms, now_ms, limit, now_ms});
  });
}

Result<std::vector<ClaimedNotification>> claimed_notifications(Database& db, const std::string& lease_token) {
  return read(db, [&](soci::session& s) -> Result<std::vector<ClaimedNotification>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT " << kClaimedColumns
                   << " FROM notifications n JOIN events e ON e.id = n.event_id JOIN tenants t ON t.id = n.tenant_id "
                      "WHERE n.lease_owner = :token AND n.status = 'pending'",
         soci::use(lease_token));
    std::vector<ClaimedNotification> out;
    for (const auto& r : rows) out.push_back(claimed_from(r));
    return out;
  });
}

Result<void> record_delivery_attempt(Database& db, const DeliveryAttempt& a) {
  const long long next_ms = to_unix_ms(a.next_attempt_at), at_ms = to_unix_ms(a.at);
  return db.write([&](soci::session& s) {
    execute(s,
            "UPDATE notifications SET status = :status, reason = :reason, attempts = :attempts, next_attempt_at = :next, "
            "last_attempt_at = :now, updated_at = :updated, lease_owner = NULL, lease_until = NULL "
            "WHERE id = :id AND lease_owner = :token",
            {a.status, SqlParam::text_or_null(a.reason), a.attempts, next_ms, at_ms, at_ms, a.id, a.lease_token});
  });
}

Result<NotificationPage> list_notifications(Database& db, const std::string& tenant_id, const NotificationFilter& f) {
  FilterQuery q;
  q.also("n.tenant_id = " + q.bind(tenant_id));
  if (!f.status.empty()) q.also("n.status = " + q.bind(f.status));
  if (!f.type.empty()) q.also("e.type = " + q.bind(f.type));
  if (!f.certificate_id.empty()) q.also("e.certificate_id = " + q.bind(f.certificate_id));
  if (!f.event_id.empty()) q.also("n.event_id = " + q.bind(f.event_id));
  if (!f.notifier.empty()) q.also("n.notifier = " + q.bind(f.notifier));
  if (!f.cursor.empty()) {
    const auto cursor = decode_cursor(f.cursor);
    if (!cursor) return make_error(ErrorCode::invalid_argument, "the cursor is not one this API gave out");
    const auto& [created, id] = *cursor;
    q.also("(n.created_at < " + q.bind(created) + " OR (n.created_at = " + q.bind(created) + " AND n.id < " +
           q.bind(id) + "))");
  }
  const int limit = std::clamp(f.limit, 1, 1000);
  return read(db, [&](soci::session& s) -> Result<NotificationPage> {
    NotificationPage page;
    // One more than a page: whether there is a next one.
    q.run(s,
          std::string("SELECT ") + kItemColumns + " FROM notifications n JOIN events e ON e.id = n.event_id WHERE " +
              q.where() + " ORDER BY n.created_at DESC, n.id DESC LIMIT " + std::to_string(limit + 1),
          [&](const soci::row& r) { page.items.push_back(item_from(r)); });
    if (page.items.size() > static_cast<std::size_t>(limit)) {
      page.items.pop_back();
      page.next_cursor = encode_cursor(to_unix_ms(page.items.back().created_at), page.items.back().id);
    }
    return page;
  });
}

}  // namespace signet::host
