#include "pipeline/issue_request.hpp"
#include "pipeline/policy.hpp"
#include "pipeline/steps/steps.hpp"
#include <pkix/csr.hpp>

namespace signet::host {
namespace {

// Runs the profile check again inside the pipeline: the request may have
// waited while the configuration (and so the profile) changed.
class ProfilePolicyStep final : public Step {
 public:
  explicit ProfilePolicyStep(const Config& config) : config_(config) {}
  bool checkpoint_before() const override { return false; }
  std::string name() const override { return "validate:profile-policy"; }

  StepOutcome run(RequestRecord& q) override {
    if (q.state.policy_epoch == policy_epoch()) return StepOutcome::done();  // checked at acceptance
    const IssueRequest accepted = issue_request_from(q.input);
    IssueInput in;
    in.profile = accepted.profile;
    in.common_name = accepted.common_name;
    in.dns = accepted.dns;
    in.ip = accepted.ip;
    in.email = accepted.email;
    in.uri = accepted.uri;
    in.ttl = accepted.ttl;
    const auto profile = config_.profile(in.profile);
    if (!profile) return rejected("unknown_profile", "no profile " + in.profile);
    if (accepted.csr.empty()) {  // the host makes the key: check what it will make
      in.key_type = accepted.key_type;
      in.key_bits = accepted.key_bits;
      in.key_curve = accepted.key_curve;
    } else {
      auto csr = parse_csr(accepted.csr);
      if (const auto* bad = std::get_if<Rejection>(&csr)) return rejected(bad->code, bad->message);
      in.csr = std::get<CsrInfo>(csr);
    }
    if (auto bad = check_policy(*profile, in)) return rejected(bad->code, bad->message);
    return StepOutcome::done();
  }

 private:
  static StepOutcome rejected(const std::string& code, const std::string& message) {
    return StepOutcome::fail(make_error(ErrorCode::rejected, code + ": " + message));
  }
  const Config& config_;
};

}  // namespace

std::shared_ptr<Step> make_profile_policy_step(const Config& config) {
  return std::make_shared<ProfilePolicyStep>(config);
}

}  // namespace signet::host
