// Pull intake: catalogue request items (RITMs) that wait for Signet,
// offered to the host as certificate requests (signet/intake.hpp). The
// host keeps one request per RITM, so several hosts polling is safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <signet/sdk.hpp>

#include "client.hpp"
#include "config.hpp"

namespace signet::servicenow {

// "a.example.com, b.example.com\nc.example.com" -> the three names.
std::vector<std::string> split_names(const std::string& text);

class ServiceNowIntake final : public RequestSource {
 public:
  ServiceNowIntake(const ServiceNowConfig& config, ServiceNowClient& client) : config_(config), client_(client) {}

  std::string system() const override { return "servicenow"; }
  // The SDK's guard does not wrap a RequestSource, so each method keeps
  // its own exceptions on this side (signet::guard).
  Result<std::vector<OfferedRequest>> offers(std::size_t limit) override;
  Result<void> taken(const OfferedRequest& offer, const std::string& request_id) override;
  Result<void> refused(const OfferedRequest& offer, const Error& why) override;
  Result<Approval> approval(const ExternalRef& ref) override;

 private:
  Result<std::vector<OfferedRequest>> fetch(std::size_t limit);
  Result<void> mark_taken(const std::string& ritm, const std::string& request_id);
  Result<void> mark_refused(const std::string& ritm, const Error& why);
  Result<Approval> read_approval(const std::string& ritm);
  // Whether a row really is what the query asked for: an instance ignores
  // a query part it cannot read rather than refusing the query.
  bool offerable(const nlohmann::json& row) const;
  OfferedRequest offer_of(const nlohmann::json& row) const;

  const ServiceNowConfig& config_;
  ServiceNowClient& client_;
};

}  // namespace signet::servicenow
