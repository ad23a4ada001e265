#include "auth/id_token.hpp"

#include <cjose/cjose.h>

#include <cstdlib>
#include <memory>
#include <set>

namespace signet::host {
namespace {

using nlohmann::json;

struct JwsFree {
  void operator()(cjose_jws_t* jws) const { cjose_jws_release(jws); }
};
struct JwkFree {
  void operator()(cjose_jwk_t* jwk) const { cjose_jwk_release(jwk); }
};
using Jws = std::unique_ptr<cjose_jws_t, JwsFree>;
using Jwk = std::unique_ptr<cjose_jwk_t, JwkFree>;

Error refused(const std::string& why) { return make_error(ErrorCode::unauthenticated, "the ID token is refused: " + why); }

std::string header_field(cjose_jws_t* jws, const char* name) {
  cjose_err err;
  const char* value = cjose_header_get(cjose_jws_get_protected(jws), name, &err);
  return value ? value : "";
}

// Asymmetric algorithms only: "none" proves nothing, and HS256 would take
// the client secret (which the provider's JWKS never holds) as the key.
const std::set<std::string>& accepted_algorithms() {
  static const std::set<std::string> algs = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
  return algs;
}

// The JWK the token names, or the only signing key when it names none.
std::optional<json> key_for(const json& jwks, const std::string& kid) {
  std::vector<json> candidates;
  for (const auto& key : jwks.value("keys", json::array()))
    if (key.is_object() && key.value("use", "sig") == "sig" && (kid.empty() || key.value("kid", "") == kid)) candidates.push_back(key);
  if (candidates.size() != 1) return std::nullopt;
  return candidates.front();
}

bool audience_holds(const json& aud, const std::string& client_id) {
  if (aud.is_string()) return aud.get<std::string>() == client_id;
  if (!aud.is_array()) return false;
  for (const auto& a : aud)
    if (a.is_string() && a.get<std::string>() == client_id) return true;
  return false;
}

Result<void> check_claims(const json& claims, const IdTokenExpectations& e) {
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(e.now.time_since_epoch()).count();
  const long long leeway = e.leeway.count();
  if (claims.value("iss", "") != e.issuer) return refused("it was issued by " + claims.value("iss", std::string("nobody")) + ", not " + e.issuer);
  if (!audience_holds(claims.value("aud", json()), e.client_id)) return refused("it is not meant for client " + e.client_id);
  const json aud = claims.value("aud", json());
  if (aud.is_array() && aud.size() > 1 && claims.value("azp", "") != e.client_id) return refused("azp is not this client");
  if (!claims.value("exp", json()).is_number() || claims["exp"].get<long long>() + leeway <= now) return refused("it has expired");
  if (!claims.value("iat", json()).is_number() || claims["iat"].get<long long>() - leeway > now) return refused("it was issued in the future");
  if (e.nonce.empty() || claims.value("nonce", "") != e.nonce) return refused("its nonce is not this sign-in's");
  if (claims.value("sub", "").empty()) return refused("it names no subject");
  return {};
}

}  // namespace

std::string id_token_key_id(const std::string& compact) {
  cjose_err err;
  Jws jws(cjose_jws_import(compact.data(), compact.size(), &err));
  return jws ? header_field(jws.get(), "kid") : "";
}

Result<json> verify_id_token(const std::string& compact, const json& jwks, const IdTokenExpectations& expected) {
  cjose_err err;
  Jws jws(cjose_jws_import(compact.data(), compact.size(), &err));
  if (!jws) return refused("it is not a signed JWT");
  const std::string alg = header_field(jws.get(), "alg");
  if (!accepted_algorithms().count(alg)) return refused("algorithm " + (alg.empty() ? std::string("(none)") : alg) + " is not accepted");
  const auto key = key_for(jwks, header_field(jws.get(), "kid"));
  if (!key) return refused("the provider publishes no key " + header_field(jws.get(), "kid"));
  const std::string key_text = key->dump();
  Jwk jwk(cjose_jwk_import(key_text.data(), key_text.size(), &err));
  if (!jwk) return refused("the provider's key cannot be read");
  if (!cjose_jws_verify(jws.get(), jwk.get(), &err)) return refused("its signature does not verify");
  uint8_t* plain = nullptr;
  size_t length = 0;
  if (!cjose_jws_get_plaintext(jws.get(), &plain, &length, &err)) return refused("it carries no claims");
  const json claims = json::parse(std::string(reinterpret_cast<const char*>(plain), length), nullptr, false);
  if (!claims.is_object()) return refused("its claims are not a JSON object");
  if (auto bad = check_claims(claims, expected); !bad) return std::move(bad).error();
  return claims;
}

}  // namespace signet::host
