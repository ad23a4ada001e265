#include "notify/dispatcher.hpp"

#include <boost/asio/post.hpp>

#include "db/prepared.hpp"
#include "notify/event_types.hpp"
#include "util/backoff.hpp"
#include "util/ids.hpp"

namespace signet::host {

// A claimed notification and its event, as the notifier gets it.
struct NotificationDispatcher::Claimed {
  std::string id, notifier, lease_token;
  int attempts = 0;
  TimePoint created_at{};
  Event event;
};

namespace {

constexpr const char* kClaimedColumns =
    "n.id, n.notifier, n.attempts, n.created_at, e.id, e.type, t.slug, e.request_id, e.certificate_id, e.time, e.data";

NotificationDispatcher::Claimed claimed_from(const soci::row& r, const std::string& token) {
  NotificationDispatcher::Claimed n;
  n.id = r.get<std::string>(0);
  n.notifier = r.get<std::string>(1);
  n.attempts = r.get<int>(2);
  n.created_at = from_unix_ms(r.get<long long>(3));
  n.lease_token = token;
  n.event.id = r.get<std::string>(4);
  n.event.type = event_type_from(r.get<std::string>(5)).value_or(EventType::failed);
  n.event.tenant = text_at(r, 6);
  n.event.request_id = text_at(r, 7);
  n.event.certificate_id = text_at(r, 8);
  n.event.time = from_unix_ms(r.get<long long>(9));
  n.event.data = nlohmann::json::parse(r.get<std::string>(10), nullptr, false);
  if (n.event.data.is_discarded()) n.event.data = nlohmann::json::object();
  if (n.event.data.contains("service") && n.event.data["service"].is_string()) n.event.service = n.event.data["service"];
  return n;
}

}  // namespace

NotificationDispatcher::NotificationDispatcher(Database& db, const PluginInstances& instances,
                                               NotificationsConfig config, boost::asio::thread_pool& workers,
                                               signet::Logger& log, signet::Metrics& metrics)
    : db_(db), instances_(instances), config_(std::move(config)), workers_(workers), log_(log), metrics_(metrics),
      owner_(new_id("dsp")) {}

void NotificationDispatcher::start() {
  thread_.start(config_.poll_interval, [this] { round(); });
}

void NotificationDispatcher::stop() {
  thread_.stop();
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

void NotificationDispatcher::round() {
  int capacity = 0;
  {
    std::lock_guard lock(mutex_);
    capacity = config_.concurrency - in_flight_;
  }
  if (capacity <= 0) return;
  const std::string token = owner_ + "." + std::to_string(++claims_);
  const long long now = to_unix_ms(Clock::now());
  const long long lease = to_unix_ms(Clock::now() + config_.lease);
  std::vector<Claimed> claimed;
  // A look first: most rounds find nothing due and need no write.
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    if (!query_number(s,
                      "SELECT 1 FROM notifications WHERE status = 'pending' AND next_attempt_at <= :now AND "
                      "(lease_until IS NULL OR lease_until < :now2) LIMIT 1",
                      {now, now}))
      return;
  } catch (const std::exception& e) {
    log_.warn("cannot look for due notifications", {{"error", database_error(e).message}});
    return;
  }
  // Claim (a write), then read what was claimed: the same two steps on
  // SQLite and PostgreSQL. A lapsed lease is a host that died mid-delivery.
  auto written = db_.write([&](soci::session& s) {
    execute(s,
            "UPDATE notifications SET lease_owner = :token, lease_until = :lease WHERE id IN (SELECT id FROM "
            "notifications WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_until IS NULL OR "
            "lease_until < :now2) ORDER BY next_attempt_at LIMIT :n)",
            {token, lease, now, now, capacity});
  });
  if (!written) {
    log_.warn("cannot claim notifications", {{"error", written.error().message}});
    return;
  }
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT " << kClaimedColumns
                   << " FROM notifications n JOIN events e ON e.id = n.event_id JOIN tenants t ON t.id = n.tenant_id "
                      "WHERE n.lease_owner = :token AND n.status = 'pending'",
         soci::use(token));
    for (const auto& r : rows) claimed.push_back(claimed_from(r, token));
  } catch (const std::exception& e) {
    log_.warn("cannot read claimed notifications", {{"error", database_error(e).message}});
    return;
  }
  for (auto& n : claimed) {
    {
      std::lock_guard lock(mutex_);
      in_flight_ += 1;
    }
    boost::asio::post(workers_, [this, n = std::move(n)] {
      deliver(n);
      std::lock_guard lock(mutex_);
      in_flight_ -= 1;
      idle_.notify_all();
    });
  }
}

void NotificationDispatcher::deliver(const Claimed& n) {
  auto notifier = instances_.notifier(n.notifier);
  if (!notifier) {
    finish(n, make_error(ErrorCode::invalid_config, "notifier " + n.notifier + " is not configured on this host"));
    return;
  }
  Result<void> sent = make_error(ErrorCode::internal, "not attempted");
  try {
    sent = notifier->notify(n.event);
  } catch (const std::exception& e) {
    sent = make_error(ErrorCode::internal, std::string("the notifier threw: ") + e.what());
  }
  finish(n, sent);
}

// delivered; pending again (retryable, within give_up_after); not_sent (the
// notifier has no receiver for it: not_found); failed (refused, or given up).
void NotificationDispatcher::finish(const Claimed& n, const Result<void>& sent) {
  const TimePoint now = Clock::now();
  const int attempts = n.attempts + 1;
  std::string status = "delivered", reason;
  TimePoint next = now;
  if (!sent) {
    const Error& e = sent.error();
    reason = e.message;
    if (e.code == ErrorCode::not_found) {
      status = "not_sent";
    } else if (!e.retryable()) {
      status = "failed";
    } else {
      next = now + doubling_backoff(config_.retry_initial, config_.retry_max, attempts, e.retry_after);
      status = next - n.created_at > config_.give_up_after ? "failed" : "pending";
      if (status == "failed") reason = "gave up after " + std::to_string(attempts) + " attempts: " + reason;
    }
    log_.warn("notification not delivered", {{"notification", n.id}, {"notifier", n.notifier}, {"event", n.event.id},
                                              {"status", status}, {"attempts", attempts}, {"error", reason}});
  }
  metrics_.counter_add("signet_notifications_total", "Notification delivery attempts by outcome",
                       {{"notifier", n.notifier}, {"outcome", status}}, 1);
  const long long now_ms = to_unix_ms(now), next_ms = to_unix_ms(next);
  auto written = db_.write([&](soci::session& s) {
    execute(s,
            "UPDATE notifications SET status = :status, reason = :reason, attempts = :attempts, next_attempt_at = :next, "
            "last_attempt_at = :now, updated_at = :updated, lease_owner = NULL, lease_until = NULL "
            "WHERE id = :id AND lease_owner = :token",
            {status, SqlParam::text_or_null(reason), attempts, next_ms, now_ms, now_ms, n.id, n.lease_token});
  });
  if (!written) log_.warn("cannot record a delivery attempt", {{"notification", n.id}, {"error", written.error().message}});
}

}  // namespace signet::host
