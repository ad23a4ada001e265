#include "db/approvals.hpp"

#include "db/prepared.hpp"

namespace signet::host {
namespace {

// The held request's state, locked for this transaction (PostgreSQL; SQLite's writer is alone).
std::optional<RequestState> held_state(soci::session& s, const std::string& id, bool sqlite) {
  soci::row row;
  s << "SELECT status, state FROM requests WHERE id = :id" << (sqlite ? "" : " FOR UPDATE"), soci::use(id),
      soci::into(row);
  if (!s.got_data() || text_at(row, 0) != "pending_approval") return std::nullopt;
  return request_state_from(nlohmann::json::parse(text_at(row, 1), nullptr, false));
}

void complete(soci::session& s, const std::string& id, RequestState state, const ApprovalDecision& d, long long now) {
  ApprovalState& a = state.approval ? *state.approval : state.approval.emplace();
  a.outcome = d.decision == "approve" ? "approved" : "rejected";
  a.decided_by = d.principal;
  a.comment = d.comment;
  execute(s,
          "UPDATE requests SET status = 'pending', next_attempt_at = :now, state = :state, updated_at = :now2 "
          "WHERE id = :id AND status = 'pending_approval'",
          {now, to_json(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), now, id});
}

}  // namespace

Result<DecisionOutcome> record_decision(Database& db, const std::string& request_id, const ApprovalDecision& d,
                                        int min_approvals, AuditRecord audit) {
  DecisionOutcome outcome = DecisionOutcome::not_pending;
  const long long now = to_unix_ms(d.decided_at);
  auto written = db.write([&](soci::session& s) {
    outcome = DecisionOutcome::not_pending;
    auto state = held_state(s, request_id, db.is_sqlite());
    if (!state) return;
    const long long inserted = execute(s,
                                       "INSERT INTO request_approvals (request_id, principal, decision, comment, decided_at) "
                                       "VALUES (:r, :p, :d, :c, :at) ON CONFLICT (request_id, principal) DO NOTHING",
                                       {request_id, d.principal, d.decision, d.comment, now});
    if (inserted != 1) {
      outcome = DecisionOutcome::already_decided;
      return;
    }
    const long long approvals = query_number(s, "SELECT COUNT(*) FROM request_approvals WHERE request_id = :r AND "
                                                "decision = 'approve'", {request_id}).value_or(0);
    const bool done = d.decision == "reject" || approvals >= min_approvals;
    if (done) complete(s, request_id, std::move(*state), d, now);
    audit.detail["approvals"] = approvals;
    audit.detail["min_approvals"] = min_approvals;
    append_audit(s, audit);
    outcome = done ? DecisionOutcome::complete : DecisionOutcome::recorded;
  });
  if (!written) return std::move(written).error();
  return outcome;
}

Result<std::vector<ApprovalDecision>> decisions_on(Database& db, const std::string& request_id) {
  return read(db, [&](soci::session& s) -> Result<std::vector<ApprovalDecision>> {
    std::vector<ApprovalDecision> out;
    soci::rowset<soci::row> rows = (s.prepare << "SELECT principal, decision, comment, decided_at FROM request_approvals "
                                                 "WHERE request_id = :r ORDER BY decided_at, principal",
                                    soci::use(request_id));
    for (const auto& row : rows)
      out.push_back({text_at(row, 0), text_at(row, 1), text_at(row, 2), from_unix_ms(row.get<long long>(3, 0))});
    return out;
  });
}

}  // namespace signet::host
