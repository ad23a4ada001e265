// One line in the access log and the request metrics per answered request:
// the same for every listener.
#pragma once

#include <signet/services.hpp>

#include "http/message.hpp"

namespace signet::host {

void record_access(signet::Logger& log, signet::Metrics& metrics, const HttpRequestMessage& request,
                   const RequestContext& context, const HttpResponseMessage& response, double seconds);

}  // namespace signet::host
