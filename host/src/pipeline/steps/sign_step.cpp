#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"
#include "pki/status_urls.hpp"

namespace signet::host {
namespace {

SignRequest sign_request_of(const RequestRecord& q) {
  const IssueRequest in = issue_request_from(q.input);
  SignRequest r;
  r.request_id = q.id;
  r.tenant = q.tenant_id;
  r.csr_pem = in.csr.empty() ? q.state.csr : in.csr;  // the keygen step's CSR
  r.common_name = in.common_name;
  r.sans = {in.dns, in.ip, in.email, in.uri};
  r.ttl = std::chrono::duration_cast<std::chrono::seconds>(in.ttl);
  r.policy = {in.profile, in.key_usage, in.extended_key_usage, std::chrono::duration_cast<std::chrono::seconds>(in.max_ttl)};
  r.metadata = in.metadata;
  r.ticket = q.ticket;
  // Every CSR here was checked when its request was accepted
  // (api/request_bodies.cpp), or made by the host itself (keygen step).
  r.extensions[kSignExtensionCsrVerified] = true;
  return r;
}

class SignStep final : public Step {
 public:
  SignStep(std::string instance, std::shared_ptr<CertificateAuthority> ca, std::uint64_t capabilities,
           const RevocationConfig* revocation)
      : instance_(std::move(instance)),
        ca_(std::move(ca)),
        local_(capabilities & SIGNET_CAP_CA_LOCAL),
        ocsp_(capabilities & SIGNET_CAP_CA_OCSP),
        revocation_(revocation) {}
  std::string name() const override { return "sign:" + instance_; }
  bool checkpoint_before() const override { return !local_; }

  StepOutcome run(RequestRecord& q) override {
    SignRequest request = sign_request_of(q);
    if (revocation_) {
      // The CRL shard is chosen once per request: a retry links the same one.
      const int shard = crl_shard_for(*revocation_, q.id);
      request.status_urls = status_urls_for(*revocation_, instance_, shard, ocsp_);
      q.state.crl_shard = shard;
    }
    auto outcome = ca_->sign(request);
    if (!outcome) return StepOutcome::fail(plugin_failure(instance_, std::move(outcome).error()));
    if (const auto* pending = std::get_if<Pending>(&outcome.value()))
      return StepOutcome::wait(pending->ticket, pending->retry_after);
    const auto& issued = std::get<IssuedCertificate>(outcome.value());
    q.state.certificate_pem = issued.certificate_pem;
    q.state.chain = issued.chain_pem;
    q.state.ca = instance_;
    return StepOutcome::done();
  }

 private:
  std::string instance_;
  std::shared_ptr<CertificateAuthority> ca_;
  bool local_;
  bool ocsp_;  // the host answers OCSP for this CA
  const RevocationConfig* revocation_;  // null: the CA links its own status URLs
};

}  // namespace

std::shared_ptr<Step> make_sign_step(std::string instance, std::shared_ptr<CertificateAuthority> ca,
                                     std::uint64_t capabilities, const RevocationConfig* revocation) {
  return std::make_shared<SignStep>(std::move(instance), std::move(ca), capabilities, revocation);
}

}  // namespace signet::host
