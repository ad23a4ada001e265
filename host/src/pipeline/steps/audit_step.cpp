#include "db/audit.hpp"
#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

class AuditStep final : public Step {
 public:
  explicit AuditStep(Database& db) : db_(db) {}
  std::string name() const override { return "audit"; }

  StepOutcome run(RequestRecord& q) override {
    nlohmann::json detail = {{"serial", q.state.value("serial", "")}, {"ca", q.state.value("ca", "")}};
    if (q.operation == "revoke") {
      detail["reason"] = q.state.value("reason", "");
      detail["certificates"] = q.state.value("revoked", nlohmann::json::array());
    }
    AuditRecord record{q.tenant_id, q.principal, "certificate." + q.operation, q.certificate_id, "success", q.id, detail};
    auto written = append_audit(db_, record);
    if (!written) return StepOutcome::fail(std::move(written).error());
    return StepOutcome::done();
  }

 private:
  Database& db_;
};

}  // namespace

std::shared_ptr<Step> make_audit_step(Database& db) { return std::make_shared<AuditStep>(db); }

}  // namespace signet::host
