// notify-email: one e-mail per lifecycle event through SMTP
// (docs/plugins/notify-email.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include <signet/sdk.hpp>

#include "config.hpp"

namespace signet::email {

// How many event ids the server accepted this process remembers (FIFO).
constexpr std::size_t kRememberedEvents = 10000;

// Thread-safe: the rate-limit window and the memory of sent events are
// under one mutex; rendering and the SMTP transaction run outside it.
class EmailNotifier final : public Notifier {
 public:
  EmailNotifier(EmailConfig config, HostServices& services);

  Result<void> notify(const Event& event) override;
  // Cheap, as /ready wants: the configuration was checked at creation and
  // no connection is made here. A server that is down shows up as pending
  // notifications (GET /v1/notifications), not as an unready host.
  Result<void> health() override { return {}; }

  // `to`, then the valid addresses under the recipients_from keys of
  // event.data.metadata (an invalid one is skipped with a warning), without
  // duplicates (compared case-insensitively).
  std::vector<std::string> recipients(const Event& event) const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct Reservation {
    enum class Kind { send, duplicate, in_flight, rate_limited } kind = Kind::send;
    std::chrono::seconds retry_after{0};
  };

  Result<void> deliver(const Event& event);
  // Takes a slot of the rate limit and marks the event in flight, unless it
  // was sent already, is being sent, or the minute is full.
  Reservation reserve(const std::string& event_id);
  // Ends what reserve() began; `accepted`: the server took the message.
  void finish(const std::string& event_id, bool accepted);
  void count(const char* result);

  EmailConfig config_;
  HostServices& services_;
  std::map<std::string, TemplateSet, std::less<>> templates_;  // by event type; "unknown" for types not known here

  std::mutex mutex_;
  std::deque<SteadyTime> attempts_;         // when each attempt of the last minute started
  std::unordered_set<std::string> sent_;    // event ids the server accepted, at most kRememberedEvents
  std::deque<std::string> sent_order_;      // the same ids, oldest first
  std::unordered_set<std::string> in_flight_;
};

}  // namespace signet::email
