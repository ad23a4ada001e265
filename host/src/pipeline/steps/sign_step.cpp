#include "pipeline/steps/steps.hpp"

namespace signet::host {
namespace {

std::vector<std::string> strings_at(const nlohmann::json& j, const char* key) {
  return j.contains(key) ? j.at(key).get<std::vector<std::string>>() : std::vector<std::string>{};
}

SignRequest sign_request_of(const RequestRecord& q) {
  const auto& in = q.input;
  SignRequest r;
  r.request_id = q.id;
  r.tenant = q.tenant_id;
  r.csr_pem = in.value("csr", "");
  r.common_name = in.value("common_name", "");
  const auto& sans = in.value("sans", nlohmann::json::object());
  r.sans = {strings_at(sans, "dns"), strings_at(sans, "ip"), strings_at(sans, "email"), strings_at(sans, "uri")};
  r.ttl = std::chrono::seconds(in.value("ttl_ms", 0LL) / 1000);
  r.policy.profile = in.value("profile", "");
  r.policy.key_usage = strings_at(in, "key_usage");
  r.policy.extended_key_usage = strings_at(in, "extended_key_usage");
  r.policy.max_ttl = std::chrono::seconds(in.value("max_ttl_ms", 0LL) / 1000);
  r.metadata = in.value("metadata", nlohmann::json::object());
  r.ticket = q.ticket;
  return r;
}

class SignStep final : public Step {
 public:
  SignStep(std::string instance, std::shared_ptr<CertificateAuthority> ca) : instance_(std::move(instance)), ca_(std::move(ca)) {}
  std::string name() const override { return "sign:" + instance_; }

  StepOutcome run(RequestRecord& q) override {
    auto outcome = ca_->sign(sign_request_of(q));
    if (!outcome) return StepOutcome::fail(plugin_failure(instance_, std::move(outcome).error()));
    if (const auto* pending = std::get_if<Pending>(&outcome.value()))
      return StepOutcome::wait(pending->ticket, pending->retry_after);
    const auto& issued = std::get<IssuedCertificate>(outcome.value());
    q.state["certificate_pem"] = issued.certificate_pem;
    q.state["chain"] = issued.chain_pem;
    q.state["ca"] = instance_;
    return StepOutcome::done();
  }

 private:
  std::string instance_;
  std::shared_ptr<CertificateAuthority> ca_;
};

}  // namespace

std::shared_ptr<Step> make_sign_step(std::string instance, std::shared_ptr<CertificateAuthority> ca) {
  return std::make_shared<SignStep>(std::move(instance), std::move(ca));
}

}  // namespace signet::host
