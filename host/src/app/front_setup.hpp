// How the HTTPS front's TLS and rate limits are made from the configuration:
// at start, and again by a live reload.
#pragma once

#include <string>
#include <vector>

#include <signet/services.hpp>

#include "config/config.hpp"
#include "http/router.hpp"
#include "plugins/instances.hpp"

namespace signet::host {

RateLimits rate_limits(const ServerConfig& server);

// The anchors of client certificates: a CA instance's chain or a PEM file.
Result<std::vector<std::string>> client_anchors(const ClientAuthConfig& c, const PluginInstances& instances);

// Automatic TLS: when the issue pipeline signs with a CA Signet runs, the
// host's certificate comes from it (and ca.pem is that CA's root), made or
// renewed as needed. A CA that refuses the host's names (name constraints,
// say) leaves the host on its self-signed certificate rather than down.
Result<void> prepare_tls(const Config& config, const PluginInstances& instances, const std::string& tenant,
                         signet::Logger& log);

}  // namespace signet::host
