// GET /v1/notifications: every delivery of every event, and every alert
// not sent, with its reason (docs/notifications.md).
#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "db/filter_query.hpp"
#include "db/prepared.hpp"
#include "db/paging.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

json optional_time(const soci::row& r, std::size_t i) {
  return r.get_indicator(i) == soci::i_ok ? json(to_rfc3339(from_unix_ms(r.get<long long>(i)))) : json(nullptr);
}

json notification_view(const soci::row& r) {
  const std::string notifier = r.get<std::string>(3);
  const std::string reason = text_at(r, 5);
  json data = json::parse(r.get<std::string>(14), nullptr, false);
  return {{"id", r.get<std::string>(0)},
          {"event_id", r.get<std::string>(1)},
          {"event_type", r.get<std::string>(2)},
          {"notifier", notifier.empty() ? json(nullptr) : json(notifier)},
          {"status", r.get<std::string>(4)},
          {"reason", reason.empty() ? json(nullptr) : json(reason)},
          {"attempts", r.get<int>(6)},
          {"next_attempt_at", r.get<std::string>(4) == "pending" ? optional_time(r, 7) : json(nullptr)},
          {"last_attempt_at", optional_time(r, 8)},
          {"created_at", optional_time(r, 9)},
          {"updated_at", optional_time(r, 10)},
          {"certificate_id", text_at(r, 11).empty() ? json(nullptr) : json(text_at(r, 11))},
          {"request_id", text_at(r, 12).empty() ? json(nullptr) : json(text_at(r, 12))},
          {"event_time", optional_time(r, 13)},
          {"data", data.is_discarded() ? json::object() : data}};
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(api_error(tenant.error()), context.request_id);
  int limit = 100;
  if (auto bad = read_limit(context.query_value("limit"), limit)) return error_response(*bad, context.request_id);
  FilterQuery q;
  q.also("n.tenant_id = " + q.bind(tenant.value()));
  const std::string status = context.query_value("status");
  if (!status.empty() && status != "pending" && status != "delivered" && status != "failed" && status != "not_sent")
    return error_response({"invalid_request", "status must be pending, delivered, failed or not_sent"}, context.request_id);
  if (!status.empty()) q.also("n.status = " + q.bind(status));
  if (auto v = context.query_value("type"); !v.empty()) q.also("e.type = " + q.bind(v));
  if (auto v = context.query_value("certificate_id"); !v.empty()) q.also("e.certificate_id = " + q.bind(v));
  if (auto v = context.query_value("event_id"); !v.empty()) q.also("n.event_id = " + q.bind(v));
  if (auto v = context.query_value("notifier"); !v.empty()) q.also("n.notifier = " + q.bind(v));
  if (auto cursor = context.query_value("cursor"); !cursor.empty()) {
    const auto decoded = decode_cursor(cursor);
    if (!decoded) return error_response({"invalid_request", "the cursor is not one this API gave out"}, context.request_id);
    const auto& [created, id] = *decoded;
    q.also("(n.created_at < " + q.bind(created) + " OR (n.created_at = " + q.bind(created) + " AND n.id < " + q.bind(id) + "))");
  }
  json items = json::array();
  std::pair<long long, std::string> last;  // (created_at, id) of the last item shown
  bool more = false;
  try {
    Connection connection(deps.db);
    soci::session& s = *connection;
    q.run(s,
          "SELECT n.id, n.event_id, e.type, n.notifier, n.status, n.reason, n.attempts, n.next_attempt_at, "
          "n.last_attempt_at, n.created_at, n.updated_at, e.certificate_id, e.request_id, e.time, e.data "
          "FROM notifications n JOIN events e ON e.id = n.event_id WHERE " + q.where() +
              " ORDER BY n.created_at DESC, n.id DESC LIMIT " + std::to_string(limit + 1),
          [&](const soci::row& r) {
            if (static_cast<int>(items.size()) == limit) {
              more = true;
              return;
            }
            items.push_back(notification_view(r));
            last = {r.get<long long>(9), r.get<std::string>(0)};
          });
  } catch (const std::exception& e) {
    return error_response(api_error(database_error(e)), context.request_id);
  }
  const json next = more ? json(encode_cursor(last.first, last.second)) : json(nullptr);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace

void add_notification_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/notifications", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "notification:read"});
}

}  // namespace signet::host
