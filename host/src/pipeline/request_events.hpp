// The events a request raises: issued, renewed or revoked when its notify
// phase runs, failed when it ends in failure.
#pragma once

#include "notify/outbox.hpp"
#include "db/requests.hpp"

namespace signet::host {

// `base`: how clients reach this host, for the certificate's download_url.
OutboxEvent request_event(const RequestRecord& q, const std::string& base);
OutboxEvent request_failure_event(const RequestRecord& q);

}  // namespace signet::host
