#include "auth/tokens.hpp"

#include <sstream>

#include "util/ids.hpp"

namespace signet::host {
namespace {

constexpr const char* kTokenPrefix = "sgt_";

std::string join_roles(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::vector<std::string> split_roles(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string role; std::getline(in, role, ',');)
    if (!role.empty()) out.push_back(role);
  return out;
}

Error invalid_token() { return make_error(ErrorCode::unauthenticated, "the token is invalid, expired or revoked"); }

}  // namespace

Result<IssuedToken> TokenStore::issue(const TokenSpec& spec) {
  IssuedToken issued{new_id("tok"), kTokenPrefix + random_base64url(32)};
  const std::string hash = sha256_hex(issued.token);
  const std::string roles = join_roles(spec.roles);
  const long long now = to_unix_ms(Clock::now());
  long long expires = spec.expires_at ? to_unix_ms(*spec.expires_at) : 0;
  soci::indicator expires_ind = spec.expires_at ? soci::i_ok : soci::i_null;
  auto written = db_.write([&](soci::session& s) {
    s << "INSERT INTO tokens (id, tenant_id, token_hash, roles, service, description, created_at, expires_at) "
         "VALUES (:id, :tenant, :hash, :roles, :service, :description, :now, :expires)",
        soci::use(issued.id), soci::use(spec.tenant_id), soci::use(hash), soci::use(roles), soci::use(spec.service),
        soci::use(spec.description), soci::use(now), soci::use(expires, expires_ind);
  });
  if (!written) return std::move(written).error();
  return issued;
}

Result<Principal> TokenStore::authenticate(const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 128) return invalid_token();
  const std::string hash = sha256_hex(token);
  const TimePoint now = Clock::now();
  if (cache_)
    if (auto known = cache_->find(hash, now)) return std::move(*known);
  try {
    soci::session s(db_.pool());
    Principal p;
    std::string stored_hash, roles, service;
    long long expires = 0, revoked = 0;
    soci::indicator expires_ind = soci::i_null, revoked_ind = soci::i_null, service_ind = soci::i_null;
    s << "SELECT t.id, t.tenant_id, n.slug, t.token_hash, t.roles, t.service, t.expires_at, t.revoked_at "
         "FROM tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.token_hash = :hash",
        soci::use(hash), soci::into(p.id), soci::into(p.tenant_id), soci::into(p.tenant), soci::into(stored_hash),
        soci::into(roles), soci::into(service, service_ind), soci::into(expires, expires_ind),
        soci::into(revoked, revoked_ind);
    if (!s.got_data() || !constant_time_equal(stored_hash, hash)) return invalid_token();
    if (revoked_ind == soci::i_ok) return invalid_token();
    if (expires_ind == soci::i_ok && expires <= to_unix_ms(now)) return invalid_token();
    p.roles = split_roles(roles);
    if (service_ind == soci::i_ok) p.service = service;
    p.auth = "token";
    if (cache_) cache_->put(hash, p, expires_ind == soci::i_ok ? std::optional(from_unix_ms(expires)) : std::nullopt, now);
    return p;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<bool> TokenStore::super_admin_exists() {
  try {
    soci::session s(db_.pool());
    int count = 0;
    const long long now = to_unix_ms(Clock::now());
    s << "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now) "
         "AND (roles = 'pki_super_admin' OR roles LIKE 'pki_super_admin,%' OR roles LIKE '%,pki_super_admin' "
         "OR roles LIKE '%,pki_super_admin,%')",
        soci::use(now), soci::into(count);
    return count > 0;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace signet::host
