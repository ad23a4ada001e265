#include "db/audit.hpp"
#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

class AuditStep final : public Step {
 public:
  AuditStep() = default;
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "audit"; }

  StepOutcome run(RequestRecord& q) override {
    nlohmann::json detail = {{"serial", q.state.serial}, {"ca", q.state.ca}};
    if (q.operation == "revoke") {
      detail["reason"] = q.state.reason;
      detail["certificates"] = q.state.revoked;
    }
    AuditRecord record{q.tenant_id, q.principal, q.state.caller.auth, q.state.caller.source,
                       "certificate." + q.operation, q.certificate_id, "success", q.id, detail};
    // Written with the request's final save: the outcome and its record
    // become durable together or not at all.
    return StepOutcome::done_with([record](soci::session& s) { append_audit(s, record); });
  }
};

}  // namespace

std::shared_ptr<Step> make_audit_step() { return std::make_shared<AuditStep>(); }

}  // namespace signet::host
