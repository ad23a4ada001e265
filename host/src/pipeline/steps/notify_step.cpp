#include "pipeline/steps/steps.hpp"

#include "pipeline/request_events.hpp"

namespace signet::host {
namespace {

// Records the event for one notifier in the outbox, in the transaction that
// records the certificate (or its revocation); the dispatcher delivers it.
class NotifyStep final : public Step {
 public:
  NotifyStep(std::string instance, std::string base) : instance_(std::move(instance)), base_(std::move(base)) {}
  std::string name() const override { return "notify:" + instance_; }
  bool checkpoint_before() const override { return false; }

  StepOutcome run(RequestRecord& q) override {
    auto event = std::make_shared<const OutboxEvent>(request_event(q, base_));
    return StepOutcome::done_with([event, notifier = instance_](soci::session& s) { record_event(s, *event, {notifier}); });
  }

 private:
  std::string instance_;
  std::string base_;  // how clients reach this host: the events' download_url
};

}  // namespace

std::shared_ptr<Step> make_notify_step(std::string instance, std::string base) {
  return std::make_shared<NotifyStep>(std::move(instance), std::move(base));
}

}  // namespace signet::host
