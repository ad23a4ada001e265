// GET /v1/notifications: every delivery of every event, and every alert
// not sent, with its reason (docs/notifications.md).
#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "api/views.hpp"
#include "db/notifications.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

json notification_view(const NotificationItem& n) {
  return {{"id", n.id},
          {"event_id", n.event_id},
          {"event_type", n.event_type},
          {"notifier", optional_text(n.notifier)},
          {"status", n.status},
          {"reason", optional_text(n.reason)},
          {"attempts", n.attempts},
          {"next_attempt_at", n.status == "pending" ? json(to_rfc3339(n.next_attempt_at)) : json(nullptr)},
          {"last_attempt_at", optional_time(n.last_attempt_at)},
          {"created_at", to_rfc3339(n.created_at)},
          {"updated_at", to_rfc3339(n.updated_at)},
          {"certificate_id", optional_text(n.certificate_id)},
          {"request_id", optional_text(n.request_id)},
          {"event_time", to_rfc3339(n.event_time)},
          {"data", n.data}};
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  NotificationFilter filter;
  if (auto bad = read_limit(context.query_value("limit"), filter.limit)) return error_response(*bad, context.request_id);
  filter.status = context.query_value("status");
  if (!filter.status.empty() && filter.status != "pending" && filter.status != "delivered" && filter.status != "failed" &&
      filter.status != "not_sent")
    return error_response({"invalid_request", "status must be pending, delivered, failed or not_sent"}, context.request_id);
  filter.type = context.query_value("type");
  filter.certificate_id = context.query_value("certificate_id");
  filter.event_id = context.query_value("event_id");
  filter.notifier = context.query_value("notifier");
  filter.cursor = context.query_value("cursor");
  auto page = list_notifications(deps.db, tenant.value(), filter);
  if (!page) {
    if (page.error().code == ErrorCode::invalid_argument)
      return error_response({"invalid_request", page.error().message}, context.request_id);
    return error_response(host_error(page.error()), context.request_id);
  }
  json items = json::array();
  for (const auto& n : page.value().items) items.push_back(notification_view(n));
  const json next = page.value().next_cursor.empty() ? json(nullptr) : json(page.value().next_cursor);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace

void add_notification_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/notifications", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "notification:read"});
}

}  // namespace signet::host
