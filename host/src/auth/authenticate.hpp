// The authenticate phase: who is calling, from a bearer token or a TLS
// client certificate. The router runs it on every guarded route.
#pragma once

#include <string>
#include <vector>

#include <signet/services.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "http/router.hpp"

namespace signet::host {

// `cas`: the CA instances whose records tell whether a client certificate
// was revoked. With client_auth `required`, a request without a valid
// certificate is refused even with a token.
Authenticator request_authenticator(Database& db, signet::Logger& log, const ClientAuthConfig& client_auth,
                                    std::vector<std::string> cas);

}  // namespace signet::host
