#include "auth/authenticate.hpp"

#include <openssl/crypto.h>

#include "auth/client_certs.hpp"
#include "auth/sessions.hpp"
#include "auth/token_cache.hpp"
#include "auth/tokens.hpp"

namespace signet::host {
namespace {

// A token or certificate revoked in the database stops working within this long.
constexpr std::chrono::seconds kCredentialCacheTtl{1};

using Mode = ClientAuthConfig::Mode;

}  // namespace

RequestAuthenticator::RequestAuthenticator(Database& db, signet::Logger& log, const ClientAuthConfig& client_auth,
                                           std::vector<std::string> cas, Sessions* sessions)
    : db_(db),
      log_(log),
      mode_(client_auth.mode),
      token_cache_(std::make_unique<TokenCache>(kCredentialCacheTtl)),
      cert_cache_(std::make_unique<TokenCache>(kCredentialCacheTtl)),
      certificates_(std::make_unique<ClientCertificates>(db, client_auth, std::move(cas), *cert_cache_)),
      sessions_(sessions) {}

RequestAuthenticator::~RequestAuthenticator() = default;

// Credentials that could not be checked (the database is down) are not refused as wrong.
std::variant<Principal, HostError> RequestAuthenticator::outcome(Result<Principal> principal,
                                                                 const Credentials& credentials) const {
  if (principal) return std::move(principal).value();
  if (principal.error().code == ErrorCode::unauthenticated) return HostError{"unauthenticated", principal.error().message};
  log_.error("cannot check credentials", {{"request_id", credentials.request_id}, {"error", principal.error().message}});
  return HostError{"unavailable", "cannot check credentials now; try again"};
}

std::variant<Principal, HostError> RequestAuthenticator::authenticate(const Credentials& credentials) const {
  const auto* peer = credentials.peer;
  const auto& bearer = credentials.bearer_token;
  if (mode_ == Mode::required) {
    if (!peer) return HostError{"unauthenticated", "a client certificate is required"};
    auto by_certificate = outcome(certificates_->authenticate(*peer), credentials);
    if (std::holds_alternative<HostError>(by_certificate) || !bearer) return by_certificate;
  }
  if (bearer) return outcome(TokenStore(db_, token_cache_.get()).authenticate(*bearer, credentials.source), credentials);
  if (credentials.session && sessions_) return by_session(credentials);
  if (peer && mode_ != Mode::off) return outcome(certificates_->authenticate(*peer), credentials);
  return HostError{"unauthenticated",
                   mode_ == Mode::off ? "missing bearer token" : "missing bearer token or client certificate"};
}

// A browser's session. Its cookie goes with every request to this origin,
// including ones another site's page makes it send, so a call that changes
// something must also carry the CSRF token, which only this origin's pages
// can read (GET /v1/session). A WebSocket handshake carries no such token
// (and SameSite does not keep out a sibling subdomain's page), so a request
// whose Origin is another origin is refused whatever its method.
std::variant<Principal, HostError> RequestAuthenticator::by_session(const Credentials& credentials) const {
  if (credentials.foreign_origin)
    return HostError{"csrf_failed", "the session cookie came with a request from another origin's page"};
  auto principal = sessions_->resume(*credentials.session, Clock::now());
  if (std::holds_alternative<HostError>(principal) || !credentials.changes_state) return principal;
  const std::string expected = Sessions::csrf_of(*credentials.session);
  const std::string& given = credentials.csrf.value_or("");
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
    return HostError{"csrf_failed", "this call changes state and needs the session's X-CSRF-Token header"};
  return principal;
}

}  // namespace signet::host
