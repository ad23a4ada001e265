#include "pipeline/request_start.hpp"

#include "db/external_refs.hpp"
#include "pipeline/issue_request.hpp"
#include "pipeline/runner.hpp"

namespace signet::host {
namespace {

// A claim whose request never became durable (its host died before the
// first save) is taken over after this long.
constexpr auto kAbandonedClaim = std::chrono::seconds(60);

std::optional<signet::ExternalRef> external_ref_in(const RequestRecord& q) {
  const auto ref = issue_request_from(q.input).external_ref;
  if (!ref.is_object()) return std::nullopt;
  return signet::ExternalRef{ref.value("system", ""), ref.value("id", ""), ref.value("number", "")};
}

// `from: <system>`: the record the request answers must be approved there, read now.
std::optional<HostError> outside_approval(const StartContext& c, const ApprovalConfig& rule, RequestRecord& q) {
  const auto ref = external_ref_in(q);
  if (!ref || ref->system != rule.from)
    return HostError{"approval_required", "profile " + issue_request_from(q.input).profile + " takes its approval from " +
                                              rule.from + ": the request must carry the external_ref of a " +
                                              rule.from + " record"};
  RequestSource* source = request_source_for(c.instances, rule.from);
  if (!source) return HostError{"not_configured", "no notifier instance reads approvals from " + rule.from};
  auto approval = source->approval(*ref);
  if (!approval) return host_error(approval.error());
  if (approval.value() != Approval::approved)
    return HostError{"approval_required", external_ref_text(*ref) + " is not approved there (approval: " +
                                              to_string(approval.value()) + ")"};
  q.state.approval = ApprovalState{0, {}, false, rule.from, "approved", external_ref_text(*ref), ""};
  return std::nullopt;
}

std::variant<RequestRecord, HostError> run_or_hold(const StartContext& c, RequestRecord q,
                                                   std::chrono::milliseconds budget) {
  const auto profile = c.config.profile(issue_request_from(q.input).profile);
  if (profile && profile->approval.required) {
    const ApprovalConfig& rule = profile->approval;
    q.state.approval = ApprovalState{rule.min_approvals, rule.approvers, rule.self_approval, "", "", "", ""};
    auto held = c.runner.hold(std::move(q), Clock::now() + rule.expires_after);
    if (!held) return host_error(held.error());
    return std::move(held).value();
  }
  if (profile && !profile->approval.from.empty())
    if (auto refused = outside_approval(c, profile->approval, q)) return *refused;
  auto ran = c.runner.submit(std::move(q), budget);
  if (!ran) return host_error(ran.error());
  return std::move(ran).value();
}

std::variant<StartedRequest, HostError> started(std::variant<RequestRecord, HostError> outcome) {
  if (auto* e = std::get_if<HostError>(&outcome)) return *e;
  return StartedRequest{std::move(std::get<RequestRecord>(outcome)), false};
}

// Runs q as the request for `ref`, letting the claim go if it was never saved.
std::variant<StartedRequest, HostError> run_claimed(const StartContext& c, RequestRecord q, const signet::ExternalRef& ref,
                                                    std::chrono::milliseconds budget) {
  const std::string tenant = q.tenant_id, id = q.id;
  auto outcome = run_or_hold(c, std::move(q), budget);
  if (std::holds_alternative<HostError>(outcome)) {
    auto saved = request_exists(c.db, id);
    if (saved && !saved.value()) (void)release_external_ref(c.db, tenant, ref, id);
  }
  return started(std::move(outcome));
}

}  // namespace

std::string external_ref_text(const signet::ExternalRef& ref) {
  return ref.system + " " + (ref.number.empty() ? ref.id : ref.number);
}

RequestSource* request_source_for(const PluginInstances& instances, const std::string& system) {
  for (const auto& [name, source] : instances.request_sources())
    if (source->system() == system) return source;
  return nullptr;
}

std::variant<StartedRequest, HostError> start_certificate_request(const StartContext& c, RequestRecord q,
                                                                  std::chrono::milliseconds budget) {
  const auto ref = external_ref_in(q);
  if (!ref) return started(run_or_hold(c, std::move(q), budget));
  auto holder = claim_external_ref(c.db, q.tenant_id, *ref, q.id, Clock::now());
  if (!holder) return host_error(holder.error());
  if (holder->request_id == q.id) return run_claimed(c, std::move(q), *ref, budget);
  auto first = RequestRepo(c.db).load(holder->request_id);
  if (!first) return host_error(first.error());
  if (first.value()) return StartedRequest{std::move(*first.value()), true};
  // The first request is not saved yet: being made right now, or lost with its host.
  if (Clock::now() - holder->since < kAbandonedClaim)
    return HostError{"conflict", "a request for " + external_ref_text(*ref) + " is being made; retry shortly", std::chrono::seconds(1)};
  auto moved = move_external_ref(c.db, q.tenant_id, *ref, holder->request_id, q.id, Clock::now());
  if (!moved) return host_error(moved.error());
  if (!moved.value()) return HostError{"conflict", "a request for " + external_ref_text(*ref) + " is being made; retry shortly", std::chrono::seconds(1)};
  return run_claimed(c, std::move(q), *ref, budget);
}

}  // namespace signet::host
