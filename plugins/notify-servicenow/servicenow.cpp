#include "servicenow.hpp"

#include <utility>

namespace signet::servicenow {

ServiceNowNotifier::ServiceNowNotifier(ServiceNowConfig config, HostServices& services)
    : config_(std::move(config)), client_(config_, services), writeback_(config_, client_) {
  // Always a source: profiles with `approval: {from: servicenow}` read
  // approvals through it; it offers requests only with intake enabled.
  intake_ = std::make_unique<ServiceNowIntake>(config_, client_);
}

Result<void> ServiceNowNotifier::notify(const Event& event) {
  const std::string type = to_string(event.type);
  if (!config_.events.contains(type))
    return make_error(ErrorCode::not_found, "notify-servicenow does not deliver " + type + " events");
  return writeback_.deliver(event);
}

Result<void> ServiceNowNotifier::health() { return client_.health(); }

RequestSource* ServiceNowNotifier::request_source() { return intake_.get(); }

}  // namespace signet::servicenow
