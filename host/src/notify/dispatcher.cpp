#include "notify/dispatcher.hpp"

#include <boost/asio/post.hpp>

#include "db/notifications.hpp"
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

NotificationDispatcher::Claimed claimed_from(ClaimedNotification row, const std::string& token) {
  NotificationDispatcher::Claimed n;
  n.id = std::move(row.id);
  n.notifier = std::move(row.notifier);
  n.attempts = row.attempts;
  n.created_at = row.created_at;
  n.lease_token = token;
  n.event.id = std::move(row.event_id);
  n.event.type = event_type_from(row.event_type).value_or(EventType::failed);
  n.event.tenant = std::move(row.tenant_slug);
  n.event.request_id = std::move(row.request_id);
  n.event.certificate_id = std::move(row.certificate_id);
  n.event.time = row.event_time;
  n.event.data = std::move(row.event_data);
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

void NotificationDispatcher::set_settings(NotificationsConfig config) {
  thread_.set_interval(config.poll_interval);
  const std::lock_guard lock(mutex_);
  config_ = std::move(config);
}

NotificationsConfig NotificationDispatcher::settings() {
  const std::lock_guard lock(mutex_);
  return config_;
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
  const NotificationsConfig config = settings();
  if (capacity <= 0) return;
  const std::string token = owner_ + "." + std::to_string(++claims_);
  const TimePoint now = Clock::now();
  const TimePoint lease = Clock::now() + config.lease;
  // A look first: most rounds find nothing due and need no write.
  auto due = any_notification_due(db_, now);
  if (!due) {
    log_.warn("cannot look for due notifications", {{"error", due.error().message}});
    return;
  }
  if (!due.value()) return;
  // Claim (a write), then read what was claimed: the same two steps on
  // SQLite and PostgreSQL. A lapsed lease is a host that died mid-delivery.
  auto written = claim_due_notifications(db_, token, now, lease, capacity);
  if (!written) {
    log_.warn("cannot claim notifications", {{"error", written.error().message}});
    return;
  }
  auto rows = claimed_notifications(db_, token);
  if (!rows) {
    log_.warn("cannot read claimed notifications", {{"error", rows.error().message}});
    return;
  }
  std::vector<Claimed> claimed;
  for (auto& row : rows.value()) claimed.push_back(claimed_from(std::move(row), token));
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
      const NotificationsConfig config = settings();
      next = now + doubling_backoff(config.retry_initial, config.retry_max, attempts, e.retry_after);
      // A receiver's own Retry-After is waited out in full, even past retry.max
      // (give_up_after still bounds it): coming back sooner only earns another 429.
      if (e.code == ErrorCode::rate_limited && e.retry_after && now + *e.retry_after > next) next = now + *e.retry_after;
      status = next - n.created_at > config.give_up_after ? "failed" : "pending";
      if (status == "failed") reason = "gave up after " + std::to_string(attempts) + " attempts: " + reason;
    }
    log_.warn("notification not delivered", {{"notification", n.id}, {"notifier", n.notifier}, {"event", n.event.id},
                                              {"status", status}, {"attempts", attempts}, {"error", reason}});
  }
  metrics_.counter_add("signet_notifications_total", "Notification delivery attempts by outcome",
                       {{"notifier", n.notifier}, {"outcome", status}}, 1);
  auto written = record_delivery_attempt(db_, {n.id, n.lease_token, status, reason, attempts, next, now});
  if (!written) log_.warn("cannot record a delivery attempt", {{"notification", n.id}, {"error", written.error().message}});
}

}  // namespace signet::host
