#include "auth/tokens.hpp"

#include "util/ids.hpp"
#include "util/networks.hpp"

namespace signet::host {
namespace {

constexpr const char* kTokenPrefix = "sgt_";

Error invalid_token() { return make_error(ErrorCode::unauthenticated, "the token is invalid, expired or revoked"); }

}  // namespace

TokenStore::Minted TokenStore::mint(const TokenSpec& spec) {
  IssuedToken issued{new_id("tok"), kTokenPrefix + random_base64url(32)};
  std::string hash = sha256_hex(issued.token);
  TokenRow row{issued.id, spec.tenant_id, spec.service, spec.description, spec.roles, spec.networks,
               Clock::now(), spec.expires_at, std::nullopt};
  return {std::move(issued), std::move(row), std::move(hash)};
}

Result<IssuedToken> TokenStore::issue(const TokenSpec& spec, const Also& also) {
  Minted minted = mint(spec);
  auto written = TokenRepo(db_).insert(minted.row, minted.hash, also);
  if (!written) return std::move(written).error();
  return std::move(minted.issued);
}

Result<Principal> TokenStore::authenticate(const std::string& token, const std::string& remote) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 128) return invalid_token();
  const std::string hash = sha256_hex(token);
  const TimePoint now = Clock::now();
  auto from_where = [&](Principal p) -> Result<Principal> {
    if (!p.networks.empty() && !address_in_networks(remote, p.networks)) return invalid_token();
    return p;
  };
  if (cache_)
    if (auto known = cache_->find(hash, now)) return from_where(std::move(*known));
  auto found = TokenRepo(db_).find_by_hash(hash);
  if (!found) return std::move(found).error();
  if (!found.value() || !constant_time_equal(found.value()->token_hash, hash)) return invalid_token();
  TokenRow& t = found.value()->token;
  if (t.revoked_at || (t.expires_at && *t.expires_at <= now)) return invalid_token();
  Principal p{t.id, t.tenant_id, found.value()->tenant_slug, std::move(t.roles), t.service, "token",
              std::move(t.networks), ""};
  if (cache_) cache_->put(hash, p, t.expires_at, now);
  return from_where(std::move(p));
}

Result<std::vector<TokenInfo>> TokenStore::list(const std::string& tenant_id, int limit, const std::string& cursor) {
  return TokenRepo(db_).list(tenant_id, limit, cursor);
}

Result<bool> TokenStore::revoke(const std::string& tenant_id, const std::string& id, const Also& also) {
  return TokenRepo(db_).revoke(tenant_id, id, Clock::now(), also);
}

Result<bool> TokenStore::super_admin_exists() {
  return TokenRepo(db_).any_active_with_role(kSuperAdminRole, Clock::now());
}

}  // namespace signet::host
