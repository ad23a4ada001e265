// The authenticate phase: who is calling, from a bearer token or a TLS
// client certificate. The HTTP router runs it on every guarded route.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <signet/services.hpp>

#include "auth/credentials.hpp"
#include "auth/principal.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "util/host_error.hpp"

namespace signet::host {

class ClientCertificates;
class Sessions;
class TokenCache;

class RequestAuthenticator {
 public:
  // `cas`: the CA instances whose records tell whether a client certificate
  // was revoked. With client_auth `required`, a request without a valid
  // certificate is refused even with a token.
  // `sessions`: the dashboard's, or null when the dashboard is off.
  RequestAuthenticator(Database& db, signet::Logger& log, const ClientAuthConfig& client_auth,
                       std::vector<std::string> cas, Sessions* sessions = nullptr);
  ~RequestAuthenticator();

  // The principal, or "unauthenticated" saying what is wrong, or
  // "unavailable" when the credentials could not be checked now.
  std::variant<Principal, HostError> authenticate(const Credentials& credentials) const;

 private:
  std::variant<Principal, HostError> outcome(Result<Principal> principal, const Credentials& credentials) const;
  std::variant<Principal, HostError> by_session(const Credentials& credentials) const;

  Database& db_;
  signet::Logger& log_;
  const ClientAuthConfig::Mode mode_;
  std::unique_ptr<TokenCache> token_cache_, cert_cache_;
  std::unique_ptr<ClientCertificates> certificates_;
  Sessions* sessions_;
};

}  // namespace signet::host
