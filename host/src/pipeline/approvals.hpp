// Approvals (docs/approvals.md): a request whose profile needs them waits
// in pending_approval until enough approvers agree, one rejects it, or
// the wait expires. Each decision is an audit record; the decision that
// completes the approval runs the request at once, on the caller's thread.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "auth/principal.hpp"
#include "db/database.hpp"
#include "db/request_state.hpp"
#include "db/requests.hpp"
#include "util/host_error.hpp"

namespace signet::host {

class Runner;

struct ApprovalCall {
  const Principal& approver;
  RequestCaller caller;    // for the audit record's auth and source
  std::string call_id;     // the API call's id: each decision is its own audit record
  bool approve = true;
  std::string comment;
};

// Records the decision on `q` (held for approval, in the approver's tenant)
// and returns the request as it stands after it.
std::variant<RequestRecord, HostError> decide(Database& db, Runner& runner, const RequestRecord& q,
                                              const ApprovalCall& call, std::chrono::milliseconds budget);

}  // namespace signet::host
