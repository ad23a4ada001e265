#include "pipeline/request_events.hpp"

#include "pipeline/issue_request.hpp"
#include "pipeline/revoke_request.hpp"

namespace signet::host {
namespace {

OutboxEvent base_event(const RequestRecord& q, EventType type) {
  OutboxEvent event;
  event.type = type;
  // The same id on every rerun, so the outbox (and receivers) keep one.
  event.id = event_id(q.id + ":" + to_string(type));
  event.tenant_id = q.tenant_id;
  event.request_id = q.id;
  event.certificate_id = q.certificate_id;
  event.time = Clock::now();
  return event;
}

// What a certificate request asked for: the names and owner receivers route and display by.
nlohmann::json issue_data(const RequestRecord& q) {
  const IssueRequest in = issue_request_from(q.input);
  nlohmann::json data = {{"common_name", in.common_name}, {"profile", in.profile}, {"metadata", in.metadata},
                         {"service", in.service}};
  if (!in.renews.empty()) data["renews"] = in.renews;
  return data;
}

}  // namespace

OutboxEvent request_event(const RequestRecord& q) {
  const EventType type = q.operation == "renew"    ? EventType::renewed
                         : q.operation == "revoke" ? EventType::revoked
                                                   : EventType::issued;
  OutboxEvent event = base_event(q, type);
  if (type == EventType::revoked) {
    const RevokeInput in = revoke_input_from(q.input);
    event.data = {{"serial", q.state.serial}, {"reason", q.state.reason},
                  {"certificates", q.state.revoked},
                  {"service", in.targets.empty() ? "" : in.targets.front().service}};
    return event;
  }
  event.data = issue_data(q);
  event.data["serial"] = q.state.serial;
  event.data["not_after"] = q.state.not_after;
  return event;
}

OutboxEvent request_failure_event(const RequestRecord& q) {
  OutboxEvent event = base_event(q, EventType::failed);
  nlohmann::json data = q.operation == "revoke" ? nlohmann::json::object() : issue_data(q);
  if (q.operation == "revoke") {
    const RevokeInput in = revoke_input_from(q.input);
    if (!in.targets.empty()) {
      event.certificate_id = in.targets.front().id;
      data["service"] = in.targets.front().service;
    }
  } else if (data.contains("renews")) {
    event.certificate_id = data["renews"];  // the certificate still in use
  } else {
    event.certificate_id.clear();  // nothing was issued
  }
  data["operation"] = q.operation;
  data["error"] = {{"code", q.error_code}, {"message", q.error_message}};
  event.data = std::move(data);
  return event;
}

}  // namespace signet::host
