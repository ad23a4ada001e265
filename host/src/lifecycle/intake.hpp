// Pull intake (docs/approvals.md, docs/plugins/notify-servicenow.md): one
// host at a time (the "intake" leader lease) asks each request source (a
// notifier that brings requests in, signet/intake.hpp) for waiting
// requests, checks each offer like a POST /v1/certificates and starts it,
// or tells the source why not. One poller spares the outside system's rate
// limits and keeps two hosts from writing the same refusal; should two
// ever see one offer (a lease changing hands), the external reference
// claimed in the database first still makes one request
// (pipeline/request_start.hpp). The source then marks its record taken.
#pragma once

#include <string>

#include <signet/intake.hpp>
#include <signet/services.hpp>

#include "config/config.hpp"
#include "lifecycle/leader_lease.hpp"
#include "db/database.hpp"
#include "pipeline/certificate_request.hpp"
#include "plugins/instances.hpp"
#include "util/periodic_thread.hpp"

namespace signet::host {

class Runner;

class IntakePoller {
 public:
  IntakePoller(Database& db, Runner& runner, const Config& config, const PluginInstances& instances,
               const TenantProfiles& tenant_profiles, signet::Logger& log, signet::Metrics& metrics,
               const std::string& host_id);
  ~IntakePoller() { stop(); }

  // Polls every intake.poll_interval; nothing to do without sources.
  void start();
  void stop();
  // One round over every source, if this host holds the lease; returns the
  // offers that became requests.
  int poll_once();

 private:
  // The request made (or found) for one offer, or why it was refused.
  void take(const std::string& instance, RequestSource& source, const OfferedRequest& offer, int& started);
  std::variant<RequestRecord, HostError> make_request(const std::string& instance, const OfferedRequest& offer);

  Database& db_;
  Runner& runner_;
  const Config& config_;
  const PluginInstances& instances_;
  const TenantProfiles& tenant_profiles_;
  signet::Logger& log_;
  signet::Metrics& metrics_;
  LeaderLease lease_;
  PeriodicThread thread_;
};

}  // namespace signet::host
