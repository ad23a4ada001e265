// The dashboard's live updates (docs/dashboard.md "Live updates"):
//   GET /v1/events/ws?since=CURSOR  a WebSocket of change messages and stats ticks
//   GET /v1/events?since=CURSOR     the same changes, for clients that cannot hold one
// Only what the caller may see: their tenant (or the one a super admin
// names, or all with tenant=*), and a service's own certificates for `_own`
// callers. A client that reconnects with the last cursor it saw misses
// nothing (db/live_feed.hpp).
#include <boost/beast/websocket/rfc6455.hpp>

#include "api/api.hpp"
#include "api/stats.hpp"
#include "db/live_feed.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr int kBatch = 200;

json message_of(const FeedItem& item, const TenantScope& scope, const std::string& cursor) {
  json m = item.fields;
  m["type"] = item.type;
  m["time"] = to_rfc3339(from_unix_ms(item.ms));
  const auto slug = scope.slugs.find(item.tenant_id);
  m["tenant"] = slug == scope.slugs.end() ? "" : slug->second;
  m["cursor"] = cursor;
  return m;
}

// Whom the caller may hear about, and where they left off.
struct Subscription {
  TenantScope scope;
  std::string service;  // `_own` callers: their service's certificates only
  FeedCursor cursor;
};

std::variant<Subscription, HostError> subscribe(const RequestContext& c, const ApiDependencies& deps) {
  auto scope = tenant_scope(c, deps);
  if (const auto* e = std::get_if<HostError>(&scope)) return *e;
  Subscription s{std::get<TenantScope>(scope), c.access == Access::own ? c.principal->service : "", {}};
  const std::string since = c.query_value("since");
  if (since.empty()) {
    s.cursor = feed_cursor_at(to_unix_ms(Clock::now()));
  } else if (auto cursor = decode_feed_cursor(since)) {
    s.cursor = *cursor;
  } else {
    return HostError{"invalid_request", "since must be a cursor this API gave out"};
  }
  return s;
}

// Reads on, and turns what it read into messages, each with the cursor after it.
Result<std::vector<json>> read_messages(const ApiDependencies& deps, Subscription& s) {
  auto items = read_feed(deps.db, s.scope.ids, s.service, s.cursor, kBatch);
  if (!items) return std::move(items).error();
  std::vector<json> out;
  const std::string cursor = encode_feed_cursor(s.cursor);
  for (const auto& item : items.value()) out.push_back(message_of(item, s.scope, cursor));
  return out;
}

// One WebSocket's stream. The database is read when this host wrote
// something (Database::writes) and at least every two seconds for what
// other hosts wrote; the overview's numbers go out every ten seconds and
// after each change.
class FeedChannel final : public LiveChannel {
 public:
  FeedChannel(ApiDependencies deps, Subscription s) : deps_(std::move(deps)), s_(std::move(s)) {}

  std::vector<std::string> poll() override {
    const auto now = std::chrono::steady_clock::now();
    const std::uint64_t writes = deps_.db.writes();
    std::vector<std::string> out;
    if (writes != seen_writes_ || now - last_read_ >= std::chrono::seconds(2)) {
      seen_writes_ = writes;
      last_read_ = now;
      auto messages = read_messages(deps_, s_);
      if (messages) {
        for (const auto& m : messages.value()) out.push_back(m.dump(-1, ' ', false, json::error_handler_t::replace));
        changed_ = changed_ || !messages->empty();
      }
    }
    if (s_.service.empty() && (changed_ || now - last_stats_ >= std::chrono::seconds(10))) {
      changed_ = false;
      last_stats_ = now;
      auto numbers = overview_numbers(deps_, s_.scope, Clock::now());
      if (const auto* stats = std::get_if<json>(&numbers)) out.push_back(json{{"type", "stats"}, {"stats", *stats}}.dump());
    }
    return out;
  }

 private:
  ApiDependencies deps_;
  Subscription s_;
  std::uint64_t seen_writes_ = ~std::uint64_t{0};
  bool changed_ = true;
  std::chrono::steady_clock::time_point last_read_{}, last_stats_{};
};

HttpResponseMessage socket(RequestContext& context, const ApiDependencies& deps) {
  if (!boost::beast::websocket::is_upgrade(context.message)) {
    auto refusal = error_response({"upgrade_required", "this is a WebSocket: connect with Upgrade: websocket"}, context.request_id);
    refusal.set(http::field::upgrade, "websocket");
    return refusal;
  }
  auto subscription = subscribe(context, deps);
  if (const auto* e = std::get_if<HostError>(&subscription)) return error_response(*e, context.request_id);
  context.live = std::make_shared<FeedChannel>(deps, std::get<Subscription>(std::move(subscription)));
  return HttpResponseMessage{http::status::switching_protocols, 11};
}

HttpResponseMessage poll(RequestContext& context, const ApiDependencies& deps) {
  auto subscription = subscribe(context, deps);
  if (const auto* e = std::get_if<HostError>(&subscription)) return error_response(*e, context.request_id);
  auto& s = std::get<Subscription>(subscription);
  auto messages = read_messages(deps, s);
  if (!messages) return error_response(host_error(messages.error()), context.request_id);
  return json_response(http::status::ok, {{"events", messages.value()}, {"next", encode_feed_cursor(s.cursor)}});
}

}  // namespace

void add_live_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/events/ws", [deps](RequestContext& c) { return socket(c, deps); }, {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/events", [deps](RequestContext& c) { return poll(c, deps); }, {.permission = "cert:read"});
}

}  // namespace signet::host
