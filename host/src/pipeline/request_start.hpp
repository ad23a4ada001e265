// How a certificate request, once made, starts: held for approval when its
// profile says so (docs/approvals.md), checked against an outside system's
// approval, or run at once. A request that answers another system's record
// (its external_ref) is made once per record, whoever asks first: a flow's
// retry or a second polling host gets the first request back.
#pragma once

#include <chrono>
#include <variant>

#include "config/config.hpp"
#include "db/database.hpp"
#include "db/requests.hpp"
#include "plugins/instances.hpp"
#include "util/host_error.hpp"

namespace signet::host {

class Runner;

struct StartContext {
  Database& db;
  Runner& runner;
  const Config& config;
  const PluginInstances& instances;
};

struct StartedRequest {
  RequestRecord request;  // as it stands: finished, running on, or held for approval
  bool existing = false;  // an earlier request for the same external reference
};

std::variant<StartedRequest, HostError> start_certificate_request(const StartContext& context, RequestRecord q,
                                                                  std::chrono::milliseconds budget);

// "servicenow RITM0010001" (the id when there is no number), for messages and logs.
std::string external_ref_text(const signet::ExternalRef& ref);

// The source that speaks for `system` ("servicenow"), or null.
RequestSource* request_source_for(const PluginInstances& instances, const std::string& system);

}  // namespace signet::host
