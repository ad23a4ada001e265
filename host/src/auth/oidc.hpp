// Sign-in for people through the company's OpenID Connect provider
// (OpenID Connect Core 1.0 §3.1, the authorization code flow, with PKCE,
// RFC 7636): the provider's metadata from discovery, its keys from the
// JWKS (fetched again when a token names a key not seen yet: rotation),
// the code exchanged at the token endpoint, the ID token checked
// (auth/id_token.hpp), and the person's groups mapped to Signet roles and
// a tenant by `ui.oidc.groups`.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/services.hpp>

#include "auth/principal.hpp"
#include "config/ui_section.hpp"
#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

class OidcSignIn {
 public:
  // `redirect_uri` gives <public URL>/v1/session/oidc/callback; asked at
  // each sign-in, since a host on port 0 learns its URL after start-up.
  OidcSignIn(const OidcConfig& config, std::function<std::string()> redirect_uri, signet::HttpClient& http, Database& db);

  struct Started {
    std::string authorization_url;
    std::string state;  // also set in a cookie: the callback must come back to this browser
  };
  // Remembers the sign-in (state, nonce, PKCE verifier; hashes only for the
  // state) and says where to send the browser.
  Result<Started> start(const std::string& return_to, TimePoint now);

  struct Person {
    Principal principal;  // roles and tenant from the groups
    std::string source;   // "oidc:<issuer>#<sub>"
    std::string return_to;
  };
  // The callback's parameters and the state cookie. Error{unauthenticated}
  // for anything the provider or the browser got wrong, Error{permission_denied}
  // when no group gives the person a role, Error{unavailable} when the
  // provider cannot be reached.
  Result<Person> finish(const std::string& code, const std::string& state, const std::string& state_cookie,
                        const std::string& iss, TimePoint now);

 private:
  Result<nlohmann::json> metadata();
  Result<nlohmann::json> keys(const std::string& kid);
  Result<nlohmann::json> get_json(const std::string& url);
  Result<std::string> exchange(const std::string& code, const std::string& verifier);
  Result<Principal> principal_of(const nlohmann::json& claims);

  const OidcConfig& config_;
  const std::function<std::string()> redirect_uri_;
  signet::HttpClient& http_;
  Database& db_;
  std::mutex mutex_;
  std::optional<nlohmann::json> metadata_, jwks_;  // guarded by mutex_
  std::chrono::steady_clock::time_point jwks_fetched_{};
};

}  // namespace signet::host
