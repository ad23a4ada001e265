#include "pipeline/issue_request.hpp"
#include "pipeline/steps/steps.hpp"

#include "util/ids.hpp"

namespace signet::host {
namespace {

class NotifyStep final : public Step {
 public:
  NotifyStep(std::string instance, std::shared_ptr<Notifier> notifier)
      : instance_(std::move(instance)), notifier_(std::move(notifier)) {}
  std::string name() const override { return "notify:" + instance_; }

  StepOutcome run(RequestRecord& q) override {
    Event event;
    const EventType type = q.operation == "renew"    ? EventType::renewed
                           : q.operation == "revoke" ? EventType::revoked
                                                     : EventType::issued;
    // The same id on every retry, so receivers can drop duplicates.
    event.id = "evt_" + sha256_hex(q.id + ":" + to_string(type)).substr(0, 26);
    event.type = type;
    event.tenant = q.tenant_id;
    event.request_id = q.id;
    event.certificate_id = q.certificate_id;
    event.time = Clock::now();
    if (type == EventType::revoked) {
      event.data = {{"serial", q.state.value("serial", "")}, {"reason", q.state.value("reason", "")},
                    {"certificates", q.state.value("revoked", nlohmann::json::array())}};
    } else {
      const IssueRequest in = issue_request_from(q.input);
      event.data = {{"serial", q.state.value("serial", "")}, {"common_name", in.common_name},
                    {"not_after", q.state.value("not_after", "")}, {"profile", in.profile}, {"metadata", in.metadata}};
    }
    auto sent = notifier_->notify(event);
    if (!sent) return StepOutcome::fail(plugin_failure(instance_, std::move(sent).error()));
    return StepOutcome::done();
  }

 private:
  std::string instance_;
  std::shared_ptr<Notifier> notifier_;
};

}  // namespace

std::shared_ptr<Step> make_notify_step(std::string instance, std::shared_ptr<Notifier> notifier) {
  return std::make_shared<NotifyStep>(std::move(instance), std::move(notifier));
}

}  // namespace signet::host
