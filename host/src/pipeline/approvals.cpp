#include "pipeline/approvals.hpp"

#include <algorithm>
#include <thread>

#include "db/approvals.hpp"
#include "pipeline/runner.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// Whether this approver may decide on q at all.
std::optional<HostError> may_decide(const RequestRecord& q, const ApprovalCall& call) {
  if (q.status != RequestStatus::pending_approval || !q.state.approval)
    return HostError{"conflict", "request " + q.id + " is not waiting for approval (status " + to_string(q.status) + ")"};
  const ApprovalState& rule = *q.state.approval;
  if (!rule.from.empty()) return HostError{"conflict", "request " + q.id + " takes its approval from " + rule.from};
  if (call.approve && call.approver.id == q.principal && !rule.self_approval)
    return HostError{"self_approval_not_allowed", "the requester may not approve their own request " + q.id};
  const bool holds_role = rule.approvers.empty() ||
                          std::any_of(rule.approvers.begin(), rule.approvers.end(),
                                      [&](const std::string& role) { return call.approver.has_role(role); });
  if (!holds_role)
    return HostError{"permission_denied", "deciding on request " + q.id + " needs one of the roles " + join(rule.approvers, ", ")};
  return std::nullopt;
}

AuditRecord decision_audit(const RequestRecord& q, const ApprovalCall& call) {
  return {q.tenant_id, call.approver.id, call.caller.auth, call.caller.source,
          call.approve ? "request.approve" : "request.reject", q.id, "success", call.call_id,
          {{"requester", q.principal}, {"comment", call.comment}}};
}

// The request once it has finished, or as it stands at `until`: a poller
// that claimed it first runs it while the approver's call waits.
std::variant<RequestRecord, HostError> as_it_stands(Database& db, const std::string& id,
                                                    std::chrono::steady_clock::time_point until) {
  RequestRepo repo(db);
  while (true) {
    auto now = repo.load(id);
    if (!now) return host_error(now.error());
    if (!now.value()) return HostError{"not_found", "no request " + id};
    if (now.value()->finished() || now.value()->status == RequestStatus::waiting ||
        std::chrono::steady_clock::now() >= until)
      return std::move(*now.value());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::variant<RequestRecord, HostError> decide(Database& db, Runner& runner, const RequestRecord& q,
                                              const ApprovalCall& call, std::chrono::milliseconds budget) {
  if (auto refused = may_decide(q, call)) return *refused;
  const ApprovalDecision decision{call.approver.id, call.approve ? "approve" : "reject", call.comment, Clock::now()};
  auto recorded = record_decision(db, q.id, decision, q.state.approval->min_approvals, decision_audit(q, call));
  if (!recorded) return host_error(recorded.error());
  switch (recorded.value()) {
    case DecisionOutcome::already_decided:
      return HostError{"conflict", call.approver.id + " has already decided on request " + q.id};
    case DecisionOutcome::not_pending:
      return HostError{"conflict", "request " + q.id + " is no longer waiting for approval"};
    case DecisionOutcome::recorded:
    case DecisionOutcome::complete:
      break;
  }
  const auto deadline = std::chrono::steady_clock::now() + budget;
  if (recorded.value() == DecisionOutcome::complete) {
    // Runs it here, unless a poller (this host's or another's) claimed it first.
    auto resumed = runner.resume(q.id, budget);
    if (resumed && resumed.value()) return std::move(*resumed.value());
  }
  return as_it_stands(db, q.id, recorded.value() == DecisionOutcome::complete ? deadline : std::chrono::steady_clock::now());
}

}  // namespace signet::host
