// notify-servicenow: certificate outcomes written back to ServiceNow (work
// notes, attachment, catalogue tasks, incidents, CMDB) and catalogue
// requests pulled in (docs/plugins/notify-servicenow.md).
#pragma once

#include <memory>

#include <signet/sdk.hpp>

#include "client.hpp"
#include "config.hpp"
#include "intake.hpp"
#include "writeback.hpp"

namespace signet::servicenow {

class ServiceNowNotifier final : public Notifier {
 public:
  ServiceNowNotifier(ServiceNowConfig config, HostServices& services);

  Result<void> notify(const Event& event) override;
  // Cheap: no call to ServiceNow, only whether it last refused the credentials.
  Result<void> health() override;
  // Always present: approval reads for `approval: {from: servicenow}`; it
  // offers requests only when intake.enabled.
  RequestSource* request_source() override;

 private:
  const ServiceNowConfig config_;  // before the members that keep a reference to it
  ServiceNowClient client_;
  Writeback writeback_;
  std::unique_ptr<ServiceNowIntake> intake_;
};

}  // namespace signet::servicenow
