// An OpenID Connect ID token checked the way OpenID Connect Core 1.0
// §3.1.3.7 says: the JWS signature with the provider's key named by `kid`
// (cjose, the JOSE library mod_auth_openidc uses), an asymmetric algorithm
// only, `iss` exactly the issuer, `aud` holding the client (and `azp` the
// client when there are several audiences), `exp` in the future, `iat` not
// in the future, and `nonce` the one this sign-in sent.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include <signet/result.hpp>

#include "util/time.hpp"

namespace signet::host {

struct IdTokenExpectations {
  std::string issuer, client_id, nonce;
  TimePoint now{};
  std::chrono::seconds leeway{60};  // clocks differ a little
};

// The `kid` of a token's protected header, "" when it has none or is no JWS.
std::string id_token_key_id(const std::string& compact);

// The claims, or Error{unauthenticated} saying what failed. `jwks` is the
// provider's JWK Set (RFC 7517 §5) as JSON.
Result<nlohmann::json> verify_id_token(const std::string& compact, const nlohmann::json& jwks, const IdTokenExpectations& expected);

}  // namespace signet::host
