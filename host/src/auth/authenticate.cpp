#include "auth/authenticate.hpp"

#include "auth/client_certs.hpp"
#include "auth/tokens.hpp"

namespace signet::host {
namespace {

// A token or certificate revoked in the database stops working within this long.
constexpr std::chrono::seconds kCredentialCacheTtl{1};

using Mode = ClientAuthConfig::Mode;

}  // namespace

Authenticator request_authenticator(Database& db, signet::Logger& log, const ClientAuthConfig& client_auth,
                                    std::vector<std::string> cas) {
  auto token_cache = std::make_shared<TokenCache>(kCredentialCacheTtl);
  auto cert_cache = std::make_shared<TokenCache>(kCredentialCacheTtl);
  auto certificates = std::make_shared<ClientCertificates>(db, client_auth, std::move(cas), *cert_cache);
  const Mode mode = client_auth.mode;
  return [&db, &log, token_cache, cert_cache, certificates, mode](RequestContext& context) -> std::optional<ApiError> {
    // Credentials that could not be checked (the database is down) are not refused as wrong.
    auto outcome = [&](Result<Principal> principal) -> std::optional<ApiError> {
      if (principal) {
        context.principal = std::move(principal).value();
        return std::nullopt;
      }
      if (principal.error().code == ErrorCode::unauthenticated) return ApiError{"unauthenticated", principal.error().message};
      log.error("cannot check credentials", {{"request_id", context.request_id}, {"error", principal.error().message}});
      return ApiError{"unavailable", "cannot check credentials now; try again"};
    };
    const auto header = context.message[http::field::authorization];
    const std::string value(header.data(), header.size());
    const bool bearer = value.rfind("Bearer ", 0) == 0;
    if (mode == Mode::required) {
      if (!context.peer) return ApiError{"unauthenticated", "a client certificate is required"};
      if (auto refused = outcome(certificates->authenticate(*context.peer)); refused || !bearer) return refused;
    }
    if (bearer) return outcome(TokenStore(db, token_cache.get()).authenticate(value.substr(7), context.remote));
    if (context.peer && mode != Mode::off) return outcome(certificates->authenticate(*context.peer));
    return ApiError{"unauthenticated", mode == Mode::off ? "missing bearer token" : "missing bearer token or client certificate"};
  };
}

}  // namespace signet::host
