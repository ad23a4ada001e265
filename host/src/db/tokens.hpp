// The tokens table: API tokens of every tenant, stored as SHA-256 hashes of
// the secret. Hashing, checks and caching are auth/tokens' (TokenStore).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// A token as listed: everything but the secret and its hash.
struct TokenRow {
  std::string id, tenant_id, service, description;  // service "" = NULL (none)
  std::vector<std::string> roles, networks;         // stored comma-joined; networks: canonical CIDRs, none = NULL
  TimePoint created_at{};
  std::optional<TimePoint> expires_at, revoked_at;
};

// What authentication reads: the token (without description and created_at),
// its hash and its tenant's slug.
struct StoredToken {
  TokenRow token;
  std::string token_hash, tenant_slug;
};

// Inside a caller's write transaction (role login issues its token in its own).
// revoked_at is not written: a new token is not revoked.
void insert_token(soci::session& s, const TokenRow& token, const std::string& token_hash);

class TokenRepo {
 public:
  explicit TokenRepo(Database& db) : db_(db) {}

  // `also` runs in the same transaction (its audit record), with the token's id.
  using Also = std::function<void(soci::session&, const std::string& id)>;
  Result<void> insert(const TokenRow& token, const std::string& token_hash, const Also& also = {});
  // nullopt when no token has this hash.
  Result<std::optional<StoredToken>> find_by_hash(const std::string& token_hash);
  // The tenant's tokens, newest first (ids are time-ordered), `limit` from
  // before `before_id` ("" = from the newest).
  Result<std::vector<TokenRow>> list(const std::string& tenant_id, int limit, const std::string& before_id);
  // False when the tenant has no such token. `also` runs whenever it exists:
  // revoking twice is fine, the first time stands.
  Result<bool> revoke(const std::string& tenant_id, const std::string& id, TimePoint at, const Also& also = {});
  // Whether a token that is neither revoked nor expired at `now` carries `role`.
  Result<bool> any_active_with_role(const std::string& role, TimePoint now);

 private:
  Database& db_;
};

}  // namespace signet::host
