// A persisted request: one row of the `requests` table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/time.hpp"

namespace signet::host {

// pending: due to run (new, or retrying after a failure); running: claimed
// by a worker under a lease; waiting: a plugin handed out a ticket;
// succeeded and failed are final.
enum class RequestStatus { pending, running, waiting, succeeded, failed };
const char* to_string(RequestStatus status);
RequestStatus request_status_from(const std::string& text);

struct RequestRecord {
  std::string id;
  std::string tenant_id;
  std::string operation;  // issue, renew, revoke
  RequestStatus status = RequestStatus::pending;
  std::string step;       // name of the step to run next (or last run)
  int step_index = 0;
  int attempts = 0;       // failed attempts of the current step
  TimePoint next_attempt_at{};
  std::string ticket;
  std::string principal;
  nlohmann::json input = nlohmann::json::object();  // the validated request
  nlohmann::json state = nlohmann::json::object();  // what earlier steps produced
  // What this run produced for its answer but the database keeps elsewhere
  // (the certificate and chain, once recorded): never saved with the request.
  nlohmann::json transient = nlohmann::json::object();
  std::string error_code;
  std::string error_message;
  std::string certificate_id;
  TimePoint created_at{};
  TimePoint updated_at{};
  // This claim's lease (the lease_owner column): unique per claim, so a
  // worker whose lease was taken over can no longer write.
  std::string lease_token;

  bool finished() const { return status == RequestStatus::succeeded || status == RequestStatus::failed; }
};

}  // namespace signet::host
