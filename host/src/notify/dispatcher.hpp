// Delivers the outbox's pending notifications through their notifier
// instances, with retries and back-off (docs/notifications.md). Several
// hosts may run one each: a notification is claimed under a lease, so a
// host that dies mid-delivery leaves it to be delivered again (at least
// once; receivers drop duplicates by the event id).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include <boost/asio/thread_pool.hpp>
#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "plugins/instances.hpp"
#include "util/periodic_thread.hpp"
#include "util/time.hpp"

namespace signet::host {

class NotificationDispatcher {
 public:
  NotificationDispatcher(Database& db, const PluginInstances& instances, NotificationsConfig config,
                         boost::asio::thread_pool& workers, signet::Logger& log, signet::Metrics& metrics);
  ~NotificationDispatcher() { stop(); }

  void start();
  // Stops claiming and waits for deliveries under way.
  void stop();
  // Looks for due notifications now (a pipeline just recorded some).
  void wake() { thread_.wake(); }
  // A reload's settings: the next round and deliveries use them.
  void set_settings(NotificationsConfig config);

  struct Claimed;  // a notification claimed for delivery, with its event

 private:
  void round();
  void deliver(const Claimed& n);
  void finish(const Claimed& n, const Result<void>& sent);
  NotificationsConfig settings();

  Database& db_;
  const PluginInstances& instances_;
  NotificationsConfig config_;  // guarded by mutex_
  boost::asio::thread_pool& workers_;
  signet::Logger& log_;
  signet::Metrics& metrics_;
  std::string owner_;
  std::atomic<std::uint64_t> claims_{0};
  std::mutex mutex_;
  std::condition_variable idle_;
  int in_flight_ = 0;
  PeriodicThread thread_;
};

}  // namespace signet::host
