// What each lifecycle event writes to ServiceNow: the request item's work
// notes, attachment, correlation fields and catalogue tasks; one incident
// per expiring certificate; one CMDB item per certificate. Every write is
// looked up first, keyed by the event id or a stable key, so a delivery the
// host retries (even after a lost answer) never writes anything twice.
#pragma once

#include <string>

#include <signet/sdk.hpp>

#include "client.hpp"
#include "config.hpp"

namespace signet::servicenow {

// Adds `text` as a work note to a task record, ending with the line
// "[<key>]", unless sys_journal_field already holds a note with that key.
Result<void> add_work_note(ServiceNowClient& client, const std::string& table, const std::string& sys_id,
                           const std::string& text, const std::string& key);

// Closes a request item as its catalogue tasks allow: every active task
// of it goes to `state` (the Task Closer rule then closes the item); only
// an item without any task gets `state` itself.
Result<void> close_request_item(ServiceNowClient& client, const TicketConfig& ticket, const std::string& ritm_sys_id,
                                const std::string& state);

// "2027-03-05 02:00:00", ServiceNow's UTC date-time, of an RFC 3339 time;
// "" when `rfc3339` is not one.
std::string servicenow_time(const std::string& rfc3339);

class Writeback {
 public:
  Writeback(const ServiceNowConfig& config, ServiceNowClient& client) : config_(config), client_(client) {}

  // Error{not_found} when the event has nothing to write here (no ticket,
  // incidents or CMDB off): the host records it as not sent.
  Result<void> deliver(const Event& event);

 private:
  Result<void> certificate_issued(const Event& event);
  Result<void> request_failed(const Event& event);
  Result<void> certificate_revoked(const Event& event);
  Result<void> certificate_expiry(const Event& event);

  Result<void> ticket_issued(const Event& event, const std::string& ritm);
  Result<void> attach_certificate(const Event& event, const std::string& ritm);
  Result<void> correlate(const Event& event, const nlohmann::json& ritm_record, const std::string& ritm);

  // The open incident of the event's certificate, created or updated for
  // `label` (a warning "7d", "expired", "renewal_failed").
  Result<void> raise_incident(const Event& event, const std::string& label, const std::string& headline);
  Result<void> resolve_incident(const Event& event);
  Result<void> upsert_ci(const Event& event);

  const ServiceNowConfig& config_;
  ServiceNowClient& client_;
};

}  // namespace signet::servicenow
