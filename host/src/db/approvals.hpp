// request_approvals: each approver's decision on a request held for
// approval, and the change of the request it completes, in one transaction.
#pragma once

#include <string>
#include <vector>

#include <signet/result.hpp>

#include "db/audit.hpp"
#include "db/database.hpp"
#include "db/request_state.hpp"
#include "util/time.hpp"

namespace signet::host {

struct ApprovalDecision {
  std::string principal;
  std::string decision;  // "approve" or "reject"
  std::string comment;
  TimePoint decided_at{};
};

enum class DecisionOutcome {
  recorded,         // counted; the request waits for more approvals
  complete,         // approved by enough, or rejected: the request is due to run now
  already_decided,  // this principal decided before
  not_pending,      // the request is no longer held for approval
};

// Records `d` on request `request_id` if it is still held for approval;
// when that makes `min_approvals` approvals or is a rejection, the request
// becomes due with its approval's outcome. `audit` is written with it.
Result<DecisionOutcome> record_decision(Database& db, const std::string& request_id, const ApprovalDecision& d,
                                        int min_approvals, AuditRecord audit);

// The decisions on a request, oldest first.
Result<std::vector<ApprovalDecision>> decisions_on(Database& db, const std::string& request_id);

}  // namespace signet::host
