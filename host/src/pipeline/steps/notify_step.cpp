#include "pipeline/steps/steps.hpp"

#include "pipeline/request_events.hpp"

namespace signet::host {
namespace {

// Records the event for one notifier in the outbox, in the transaction that
// records the certificate (or its revocation); the dispatcher delivers it.
class NotifyStep final : public Step {
 public:
  explicit NotifyStep(std::string instance) : instance_(std::move(instance)) {}
  std::string name() const override { return "notify:" + instance_; }
  bool checkpoint_before() const override { return false; }

  StepOutcome run(RequestRecord& q) override {
    auto event = std::make_shared<const OutboxEvent>(request_event(q));
    return StepOutcome::done_with([event, notifier = instance_](soci::session& s) { record_event(s, *event, {notifier}); });
  }

 private:
  std::string instance_;
};

}  // namespace

std::shared_ptr<Step> make_notify_step(std::string instance) { return std::make_shared<NotifyStep>(std::move(instance)); }

}  // namespace signet::host
