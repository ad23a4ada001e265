#include "email.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include "message.hpp"
#include "smtp.hpp"
#include "templates.hpp"

namespace signet::email {
namespace {

using std::chrono::seconds;

constexpr const char* kMessagesMetric = "signet_email_messages_total";
constexpr const char* kMessagesHelp =
    "notify-email messages by result: sent, failed, duplicate (already accepted by the server, not sent again), "
    "rate_limited";
constexpr seconds kWindow{60};
constexpr seconds kInFlightRetry{5};

std::string lower_case(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

EmailNotifier::EmailNotifier(EmailConfig config, HostServices& services)
    : config_(std::move(config)), services_(services) {
  for (const char* type : {"issued", "renewed", "revoked", "expiring", "expired", "failed", "secret_rotation", "unknown"})
    templates_.emplace(type, templates_for(config_.templates, type));
}

std::vector<std::string> EmailNotifier::recipients(const Event& event) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  const auto add = [&](const std::string& address) {
    if (seen.insert(lower_case(address)).second) out.push_back(address);
  };
  for (const auto& address : config_.to) add(address);
  if (config_.recipients_from.empty() || !event.data.is_object()) return out;
  const auto metadata = event.data.find("metadata");
  if (metadata == event.data.end() || !metadata->is_object()) return out;
  for (const auto& key : config_.recipients_from) {
    const auto value = metadata->find(key);
    if (value == metadata->end()) continue;  // this request did not name one
    const std::string address = value->is_string() ? trimmed(value->get_ref<const std::string&>()) : std::string();
    if (!valid_address(address)) {
      // The key, not the value: the log line stays short and one bad
      // request cannot write arbitrary text into it.
      services_.logger().warn("notify-email: the request's metadata holds no valid address under a recipients_from "
                              "key; that recipient is skipped",
                              {{"event_id", event.id}, {"metadata_key", key}});
      continue;
    }
    add(address);
  }
  return out;
}

Result<void> EmailNotifier::notify(const Event& event) {
  try {
    return deliver(event);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("notify-email failed: ") + e.what());
  } catch (...) {
    return make_error(ErrorCode::internal, "notify-email failed with a non-standard exception");
  }
}

Result<void> EmailNotifier::deliver(const Event& event) {
  const std::string type = signet::to_string(event.type);  // "unknown" for a type newer than this build
  if (!config_.events.empty() && std::find(config_.events.begin(), config_.events.end(), type) == config_.events.end())
    return make_error(ErrorCode::not_found, "this notifier does not send " + type + " events (events:)");
  const std::vector<std::string> to = recipients(event);
  if (to.empty()) return make_error(ErrorCode::not_found, "no recipient for this event: set to or recipients_from");

  const auto found = templates_.find(type);
  const TemplateSet& templates = found != templates_.end() ? found->second : templates_.at("unknown");
  const RenderedMessage rendered = render_message(templates, event_fields(event));
  MessageInput input;
  input.from = config_.from;
  input.to = to;
  input.subject = rendered.subject;
  input.text = rendered.text;
  input.html = rendered.html;
  input.event_id = event.id;
  input.event_type = type;
  input.date = services_.clock().now();
  const std::string message = build_message(input);

  const Reservation reservation = reserve(event.id);
  switch (reservation.kind) {
    case Reservation::Kind::send:
      break;
    case Reservation::Kind::duplicate:
      count("duplicate");
      services_.logger().debug("notify-email: the server already accepted this event's message; not sent again",
                               {{"event_id", event.id}});
      return {};
    case Reservation::Kind::in_flight: {
      Error busy = make_error(ErrorCode::unavailable, "this event's message is being sent by another call right now");
      busy.retry_after = kInFlightRetry;
      return busy;
    }
    case Reservation::Kind::rate_limited: {
      count("rate_limited");
      services_.logger().info("notify-email: per_minute reached; the host sends this event later",
                              {{"event_id", event.id},
                               {"per_minute", config_.per_minute},
                               {"retry_after_seconds", reservation.retry_after.count()}});
      Error limited = make_error(ErrorCode::rate_limited, "more than " + std::to_string(config_.per_minute) +
                                                              " messages in a minute (per_minute)");
      limited.retry_after = reservation.retry_after;
      return limited;
    }
  }

  Result<void> sent;
  try {
    sent = send_mail(config_.smtp, config_.from.address, to, message);
  } catch (...) {
    finish(event.id, false);
    throw;
  }
  finish(event.id, sent.ok());
  if (sent) {
    count("sent");
    services_.logger().info("notify-email: message sent",
                            {{"event_id", event.id}, {"event_type", type}, {"recipients", to.size()}});
    return {};
  }
  count("failed");
  services_.logger().warn("notify-email: cannot send the message",
                          {{"event_id", event.id},
                           {"event_type", type},
                           {"code", std::string(signet::to_string(sent.error().code))},
                           {"retryable", sent.error().retryable()},
                           {"error", sent.error().message}});
  return sent;
}

EmailNotifier::Reservation EmailNotifier::reserve(const std::string& event_id) {
  const std::lock_guard lock(mutex_);
  Reservation out;
  // An empty id cannot tell one event from another: never deduplicated.
  if (!event_id.empty() && sent_.count(event_id) > 0) {
    out.kind = Reservation::Kind::duplicate;
    return out;
  }
  if (!event_id.empty() && in_flight_.count(event_id) > 0) {
    out.kind = Reservation::Kind::in_flight;
    return out;
  }
  const SteadyTime now = std::chrono::steady_clock::now();
  while (!attempts_.empty() && now - attempts_.front() >= kWindow) attempts_.pop_front();
  if (attempts_.size() >= static_cast<std::size_t>(config_.per_minute)) {
    out.kind = Reservation::Kind::rate_limited;
    out.retry_after = std::max(seconds(1), std::chrono::ceil<seconds>(attempts_.front() + kWindow - now));
    return out;
  }
  attempts_.push_back(now);
  if (!event_id.empty()) in_flight_.insert(event_id);
  out.kind = Reservation::Kind::send;
  return out;
}

void EmailNotifier::finish(const std::string& event_id, bool accepted) {
  if (event_id.empty()) return;
  const std::lock_guard lock(mutex_);
  in_flight_.erase(event_id);
  if (!accepted || !sent_.insert(event_id).second) return;
  sent_order_.push_back(event_id);
  while (sent_order_.size() > kRememberedEvents) {
    sent_.erase(sent_order_.front());
    sent_order_.pop_front();
  }
}

void EmailNotifier::count(const char* result) {
  services_.metrics().counter_add(kMessagesMetric, kMessagesHelp, {{"result", result}}, 1);
}

}  // namespace signet::email
