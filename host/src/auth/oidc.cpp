#include "auth/oidc.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <crypto/random.hpp>
#include <encoding/base64.hpp>
#include <encoding/base64url.hpp>
#include <encoding/url.hpp>
#include <pkix/keys.hpp>

#include "auth/id_token.hpp"
#include "db/sessions.hpp"
#include "db/tenants.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr auto kSignInLifetime = std::chrono::minutes(10);
// A run of tokens naming unknown keys fetches the JWKS once a second at most.
constexpr auto kJwksRefetchGap = std::chrono::seconds(1);

Error unauthenticated(const std::string& why) { return make_error(ErrorCode::unauthenticated, why); }

std::string random_text(std::size_t bytes) { return encoding::base64url(crypto::random_bytes(bytes)); }

bool same_text(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The groups claim: a list of names, or one name.
std::vector<std::string> groups_of(const json& claims, const std::string& claim) {
  std::vector<std::string> out;
  const json value = claims.value(claim, json());
  if (value.is_string()) out.push_back(value.get<std::string>());
  if (value.is_array())
    for (const auto& g : value)
      if (g.is_string()) out.push_back(g.get<std::string>());
  return out;
}

}  // namespace

OidcSignIn::OidcSignIn(const OidcConfig& config, std::function<std::string()> redirect_uri, signet::HttpClient& http,
                       Database& db)
    : config_(config), redirect_uri_(std::move(redirect_uri)), http_(http), db_(db) {}

Result<json> OidcSignIn::get_json(const std::string& url) {
  signet::HttpRequest request{"GET", url, {{"Accept", "application/json"}}, "", {}};
  request.options.ca_file = config_.ca_file;
  request.options.max_attempts = 2;
  auto answer = http_.send(request);
  if (!answer) return make_error(ErrorCode::unavailable, "the identity provider cannot be reached: " + answer.error().message);
  const json body = json::parse(answer->body, nullptr, false);
  if (answer->status != 200 || !body.is_object())
    return make_error(ErrorCode::unavailable, "the identity provider answered " + std::to_string(answer->status) + " for " + url);
  return body;
}

// OpenID Connect Discovery 1.0 §4: the issuer in the document must be the
// one configured, exactly.
Result<json> OidcSignIn::metadata() {
  {
    std::lock_guard lock(mutex_);
    if (metadata_) return *metadata_;
  }
  auto found = get_json(config_.issuer + "/.well-known/openid-configuration");
  if (!found) return found;
  if (found->value("issuer", "") != config_.issuer)
    return make_error(ErrorCode::unavailable, "the identity provider calls itself " + found->value("issuer", std::string("nothing")) +
                                                  ", not " + config_.issuer);
  for (const char* field : {"authorization_endpoint", "token_endpoint", "jwks_uri"})
    if (!found->value(field, json()).is_string()) return make_error(ErrorCode::unavailable, std::string("the identity provider's discovery has no ") + field);
  std::lock_guard lock(mutex_);
  metadata_ = found.value();
  return found;
}

Result<json> OidcSignIn::keys(const std::string& kid) {
  auto known = [&](const json& set) {
    if (kid.empty()) return true;
    for (const auto& key : set.value("keys", json::array()))
      if (key.value("kid", "") == kid) return true;
    return false;
  };
  {
    std::lock_guard lock(mutex_);
    const bool recent = std::chrono::steady_clock::now() - jwks_fetched_ < kJwksRefetchGap;
    if (jwks_ && (known(*jwks_) || recent)) return *jwks_;
  }
  auto meta = metadata();
  if (!meta) return meta;
  auto set = get_json(meta->at("jwks_uri").get<std::string>());
  if (!set) return set;
  std::lock_guard lock(mutex_);
  jwks_ = set.value();
  jwks_fetched_ = std::chrono::steady_clock::now();
  return set;
}

Result<OidcSignIn::Started> OidcSignIn::start(const std::string& return_to, TimePoint now) {
  auto meta = metadata();
  if (!meta) return std::move(meta).error();
  const std::string state = random_text(32), nonce = random_text(24), verifier = random_text(32);
  if (auto saved = insert_oidc_login(db_, {sha256_hex(state), nonce, verifier, return_to, now}); !saved) return std::move(saved).error();
  std::string scope;
  for (const auto& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  const std::string challenge = encoding::base64url(pkix::digest(EVP_sha256(), verifier));  // RFC 7636 §4.2, S256
  const std::string endpoint = meta->at("authorization_endpoint").get<std::string>();
  const std::string query = encoding::form_encode({{"response_type", "code"}, {"client_id", config_.client_id},
                                                   {"redirect_uri", redirect_uri_()}, {"scope", scope}, {"state", state},
                                                   {"nonce", nonce}, {"code_challenge", challenge},
                                                   {"code_challenge_method", "S256"}});
  return Started{endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + query, state};
}

// RFC 6749 §4.1.3, with the client's secret in HTTP Basic (§2.3.1: each part form-encoded first).
Result<std::string> OidcSignIn::exchange(const std::string& code, const std::string& verifier) {
  auto meta = metadata();
  if (!meta) return std::move(meta).error();
  const std::string basic = encoding::base64(encoding::url_encode(config_.client_id) + ":" + encoding::url_encode(config_.client_secret));
  signet::HttpRequest request{"POST", meta->at("token_endpoint").get<std::string>(),
                              {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"},
                               {"Authorization", "Basic " + basic}},
                              encoding::form_encode({{"grant_type", "authorization_code"}, {"code", code},
                                                     {"redirect_uri", redirect_uri_()}, {"code_verifier", verifier}}),
                              {}};
  request.options.ca_file = config_.ca_file;
  auto answer = http_.send(request);  // never retried: a code works once
  if (!answer) return make_error(ErrorCode::unavailable, "the identity provider cannot be reached: " + answer.error().message);
  const json body = json::parse(answer->body, nullptr, false);
  if (answer->status != 200 || !body.is_object()) {
    const std::string error = body.is_object() ? body.value("error", std::string("an error")) : "an error";
    return unauthenticated("the identity provider refused the sign-in code (" + error + ", HTTP " + std::to_string(answer->status) + ")");
  }
  if (!body.value("id_token", json()).is_string()) return unauthenticated("the identity provider sent no ID token");
  return body.at("id_token").get<std::string>();
}

Result<OidcSignIn::Person> OidcSignIn::finish(const std::string& code, const std::string& state, const std::string& state_cookie,
                                              const std::string& iss, TimePoint now) {
  if (state.empty() || !same_text(state, state_cookie))
    return unauthenticated("this sign-in was not started in this browser; start again");
  auto login = take_oidc_login(db_, sha256_hex(state));
  if (!login) return std::move(login).error();
  if (!login.value() || now - login.value()->created_at > kSignInLifetime) return unauthenticated("this sign-in has expired or was used; start again");
  if (!iss.empty() && iss != config_.issuer) return unauthenticated("the answer came from another identity provider");  // RFC 9207
  if (code.empty()) return unauthenticated("the identity provider sent no code");
  auto token = exchange(code, login.value()->code_verifier);
  if (!token) return std::move(token).error();
  auto set = keys(id_token_key_id(token.value()));
  if (!set) return std::move(set).error();
  auto claims = verify_id_token(token.value(), set.value(), {config_.issuer, config_.client_id, login.value()->nonce, now});
  if (!claims) return std::move(claims).error();
  auto principal = principal_of(claims.value());
  if (!principal) return std::move(principal).error();
  return Person{std::move(principal).value(), "oidc:" + config_.issuer + "#" + claims->value("sub", ""), login.value()->return_to};
}

// The person's roles: every group `ui.oidc.groups` knows. A session acts in
// one tenant, so groups that grant roles in several are refused rather than
// guessed between.
Result<Principal> OidcSignIn::principal_of(const json& claims) {
  Principal p;
  p.auth = "oidc";
  p.name = claims.value(config_.username_claim, json()).is_string() ? claims.at(config_.username_claim).get<std::string>()
                                                                     : claims.value("sub", "");
  p.id = "oidc:" + p.name;
  std::optional<std::string> tenant;
  for (const auto& group : groups_of(claims, config_.groups_claim)) {
    const auto grant = config_.groups.find(group);
    if (grant == config_.groups.end()) continue;
    const std::string slug = grant->second.tenant.empty() ? "default" : grant->second.tenant;
    if (tenant && *tenant != slug)
      return make_error(ErrorCode::permission_denied, "your groups give roles in tenants " + *tenant + " and " + slug +
                                                          "; a session acts in one: ask for one group");
    tenant = slug;
    for (const auto& role : grant->second.roles)
      if (!p.has_role(role)) p.roles.push_back(role);
  }
  if (!tenant) return make_error(ErrorCode::permission_denied, "none of " + p.name + "'s groups is given a role in Signet");
  auto found = find_tenant_by_slug(db_, *tenant);
  if (!found) return std::move(found).error();
  if (!found.value()) return make_error(ErrorCode::permission_denied, "tenant " + *tenant + " does not exist");
  p.tenant = *tenant;
  p.tenant_id = found.value()->id;
  return p;
}

}  // namespace signet::host
