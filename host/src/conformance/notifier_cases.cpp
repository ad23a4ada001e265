// The `notifier` cases: what they hold a Notifier plugin to, as
// signet/notifier.hpp and docs/plugin-authoring.md ("Idempotency") promise it.
//
// - notify answers in the classes the host's outbox reads: success;
//   "Error{not_found}: this notifier has no receiver for the event";
//   unavailable, timeout or rate_limited, retried; any other error, "the
//   receiver refused it for good".
// - "Delivery is at least once: the host calls again with the same event id":
//   a duplicate must be harmless and answered like the first.
// - "a notifier should treat a type it does not know as informational, since
//   later minors may add more".
// - No exception crosses the boundary (result.hpp), whatever the event holds:
//   an empty id, a huge value, invalid UTF-8 (nlohmann::json holds it, dump()
//   throws on it).
#include <chrono>
#include <string>
#include <vector>

#include "conformance/suite.hpp"

namespace signet::host::conformance {
namespace {

constexpr std::size_t kHugeValue = 1024 * 1024;

std::string answer(const Result<void>& r) { return r ? "ok" : describe(r.error()); }

// Whether the host would read the answer as delivered or as "no receiver":
// the two answers every case accepts.
bool delivered_or_no_receiver(const Result<void>& r) { return r || r.error().code == ErrorCode::not_found; }

// The answer's class as the outbox reads it, for comparing two answers.
std::string answer_class(const Result<void>& r) {
  if (r) return "ok";
  if (r.error().code == ErrorCode::not_found) return "not_found";
  return r.error().retryable() ? "retryable" : "failed";
}

// Why an answer other than ok or not_found is wrong, on one line.
std::string unexpected_answer(const std::string& call, const Result<void>& r) {
  std::string reason = call + " returned " + answer(r) + ", expected ok or not_found";
  if (!r && r.error().retryable())
    reason += " (a retryable error: the receiver in the test config is not reachable)";
  return reason;
}

std::string type_name(EventType type) {
  const std::string name = to_string(type);
  return name == "unknown" ? "type " + std::to_string(static_cast<int>(type)) : name;
}

Event make_event(Suite& suite, EventType type) {
  Event event;
  event.id = suite.unique("evt");
  event.type = type;
  event.tenant = "conformance";
  event.request_id = suite.unique("req");
  event.certificate_id = suite.unique("crt");
  event.time = std::chrono::system_clock::now();
  event.data = {{"serial", "01"}, {"common_name", "conformance.example.com"}};
  event.service = "conformance";
  return event;
}

Result<void> notify(Suite& suite, Notifier& notifier, const Event& event) {
  return suite.calls.run("notify", [&] { return notifier.notify(event); });
}

Verdict delivers(Suite& suite, Notifier& notifier) {
  const Event event = make_event(suite, EventType::issued);
  const auto sent = notify(suite, notifier, event);
  if (sent) return Verdict::pass("delivered issued event " + event.id);
  if (sent.error().code == ErrorCode::not_found)
    return Verdict::pass("answered not_found (no receiver for this event in the test config): " + describe(sent.error()));
  return Verdict::fail(unexpected_answer("notify(issued event " + event.id + ")", sent));
}

Verdict at_least_once(Suite& suite, Notifier& notifier) {
  const Event event = make_event(suite, EventType::issued);
  const auto first = notify(suite, notifier, event);
  if (!delivered_or_no_receiver(first))
    return Verdict::fail(unexpected_answer("the first notify(issued event " + event.id + ")", first));
  const auto second = notify(suite, notifier, event);
  if (answer_class(second) != answer_class(first))
    return Verdict::fail("notify of event " + event.id + " a second time (same id) returned " + answer(second) +
                         " after the first returned " + answer(first) + "; a duplicate must be answered like the first");
  return Verdict::pass("the same event notified twice answered " + answer_class(first) + " both times");
}

Verdict unknown_event_type(Suite& suite, Notifier& notifier) {
  const Event event = make_event(suite, static_cast<EventType>(99));
  const auto sent = notify(suite, notifier, event);
  if (!delivered_or_no_receiver(sent))
    return Verdict::fail(unexpected_answer("notify(event of unknown type 99)", sent) +
                         "; a type the notifier does not know must be treated as informational");
  return Verdict::pass("an event of unknown type 99 answered " + answer_class(sent));
}

Verdict every_type(Suite& suite, Notifier& notifier) {
  const EventType types[] = {EventType::issued,  EventType::renewed, EventType::revoked,        EventType::expiring,
                             EventType::failed,  EventType::expired, EventType::secret_rotation};
  int delivered = 0, no_receiver = 0;
  std::string refused;
  for (const EventType type : types) {
    const auto sent = notify(suite, notifier, make_event(suite, type));
    if (sent) ++delivered;
    else if (sent.error().code == ErrorCode::not_found) ++no_receiver;
    else refused += (refused.empty() ? "" : "; ") + type_name(type) + ": " + describe(sent.error());
  }
  if (!refused.empty()) return Verdict::fail("notify returned other than ok or not_found for " + refused);
  return Verdict::pass(std::to_string(std::size(types)) + " event types: " + std::to_string(delivered) + " ok, " +
                       std::to_string(no_receiver) + " not_found");
}

struct HostileEvent {
  std::string name;  // how the verdict names it
  Event event;
};

std::vector<HostileEvent> hostile_events(Suite& suite) {
  const std::string invalid_utf8 = "\xff\xfe";
  std::vector<HostileEvent> events;
  auto add = [&](std::string name, auto&& spoil) {
    Event event = make_event(suite, EventType::issued);
    spoil(event);
    events.push_back({std::move(name), std::move(event)});
  };
  add("an empty id", [](Event& e) { e.id.clear(); });
  add("a 1 MiB data value", [](Event& e) { e.data["note"] = std::string(kHugeValue, 'x'); });
  add("invalid UTF-8 in tenant", [&](Event& e) { e.tenant = invalid_utf8; });
  add("invalid UTF-8 in a data string", [&](Event& e) { e.data["note"] = invalid_utf8; });
  return events;
}

Verdict hostile_inputs(Suite& suite, Notifier& notifier) {
  const auto thrown_before = suite.calls.exceptions().size();
  const auto events = hostile_events(suite);
  std::vector<std::string> answers;
  for (const auto& hostile : events) {
    const auto sent = notify(suite, notifier, hostile.event);
    if (!sent)
      if (auto why = malformed(sent.error()); !why.empty())
        return Verdict::fail("notify(event with " + hostile.name + ") returned a malformed error: " + one_line(why));
    answers.push_back(hostile.name + ": " + (sent ? std::string("ok") : std::string(to_string(sent.error().code))));
  }
  const auto thrown = suite.calls.exceptions();
  if (thrown.size() > thrown_before)
    return Verdict::fail(std::to_string(thrown.size() - thrown_before) +
                         " notify call(s) threw on hostile events, first: " + one_line(thrown[thrown_before]));
  std::string seen;
  for (const auto& a : answers) seen += (seen.empty() ? "" : ", ") + a;
  return Verdict::pass(std::to_string(events.size()) + " hostile events answered without an exception (" + seen + ")");
}

}  // namespace

void run_notifier_cases(Suite& suite) {
  auto& notifier = static_cast<Notifier&>(*suite.instance);
  suite.run("notifier.delivers", [&]() -> Verdict { return delivers(suite, notifier); });
  suite.run("notifier.at_least_once", [&]() -> Verdict { return at_least_once(suite, notifier); });
  suite.run("notifier.unknown_event_type", [&]() -> Verdict { return unknown_event_type(suite, notifier); });
  suite.run("notifier.every_type", [&]() -> Verdict { return every_type(suite, notifier); });
  suite.run("notifier.hostile_inputs", [&]() -> Verdict { return hostile_inputs(suite, notifier); });
  run_intake_cases(suite, notifier);
}

}  // namespace signet::host::conformance
