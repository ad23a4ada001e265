#include "pipeline/revoke_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "util/time.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

bool listed(const json& list, const std::string& id) {
  return std::find(list.begin(), list.end(), json(id)) != list.end();
}

// Asks each certificate's own CA instance to revoke it: only the CA that
// issued a certificate can put it on its CRL and answer OCSP for it.
class RevokeAtCaStep final : public Step {
 public:
  explicit RevokeAtCaStep(const PluginInstances& instances) : instances_(instances) {}
  std::string name() const override { return "revoke"; }

  StepOutcome run(RequestRecord& q) override {
    const RevokeInput in = revoke_input_from(q.input);
    const auto reason = revocation_reason_from(in.reason).value_or(RevocationReason::unspecified);
    if (!q.state.contains("revoked_at_ca")) q.state["revoked_at_ca"] = json::array();
    for (const auto& t : in.targets) {
      if (listed(q.state["revoked_at_ca"], t.id)) continue;  // done before a crash or a wait
      const PluginInstance* instance = instances_.find(t.ca);
      auto ca = instances_.ca(t.ca);
      if (!instance || !ca)
        return StepOutcome::fail(make_error(ErrorCode::invalid_config, "certificate " + t.id + " was issued by CA " + t.ca +
                                                                           ", which is not configured on this host"));
      if (!(instance->capabilities & SIGNET_CAP_CA_REVOKE))
        return StepOutcome::fail(make_error(ErrorCode::unsupported, "CA " + t.ca + " cannot revoke certificates"));
      auto outcome = ca->revoke({q.id, q.tenant_id, t.serial, t.certificate_pem, reason, q.ticket, json::object()});
      if (!outcome) return StepOutcome::fail(plugin_failure(t.ca, std::move(outcome).error()));
      if (const auto* pending = std::get_if<Pending>(&outcome.value()))
        return StepOutcome::wait(pending->ticket, pending->retry_after);
      q.ticket.clear();
      q.state["revoked_at_ca"].push_back(t.id);
    }
    return StepOutcome::done();
  }

 private:
  const PluginInstances& instances_;
};

// Marks the certificates revoked in one transaction. A certificate revoked
// meanwhile keeps its first revocation time and reason.
class RecordRevocationStep final : public Step {
 public:
  RecordRevocationStep() = default;
  std::string name() const override { return "record"; }
  bool checkpoint_before() const override { return false; }

  StepOutcome run(RequestRecord& q) override {
    const RevokeInput in = revoke_input_from(q.input);
    const long long now = to_unix_ms(Clock::now());
    DeferredWrite mark = [in, now, tenant = q.tenant_id](soci::session& s) {
      for (const auto& t : in.targets)
        s << "UPDATE certificates SET status = 'revoked', revoked_at = :t, revocation_reason = :r "
             "WHERE tenant_id = :tenant AND id = :id AND status <> 'revoked'",
            soci::use(now), soci::use(in.reason), soci::use(tenant), soci::use(t.id);
    };
    json ids = json::array();
    for (const auto& t : in.targets) ids.push_back(t.id);
    if (!in.targets.empty()) {
      q.certificate_id = in.targets.front().id;
      q.state["serial"] = in.targets.front().serial;
      q.state["ca"] = in.targets.front().ca;
    }
    q.state["revoked"] = ids;
    q.state["reason"] = in.reason;
    return StepOutcome::done_with(std::move(mark));
  }
};

}  // namespace

std::shared_ptr<Step> make_revoke_step(const PluginInstances& instances) { return std::make_shared<RevokeAtCaStep>(instances); }
std::shared_ptr<Step> make_record_revocation_step() { return std::make_shared<RecordRevocationStep>(); }

}  // namespace signet::host
