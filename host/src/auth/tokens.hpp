// Bearer tokens: shown once when issued, stored only as SHA-256 hashes
// (the tokens carry 256 random bits, so a fast hash is enough).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "auth/token_cache.hpp"
#include "db/database.hpp"
#include "db/tokens.hpp"
#include "util/time.hpp"

namespace signet::host {

struct IssuedToken {
  std::string id;
  std::string token;  // the secret; never stored, never logged
};

struct TokenSpec {
  std::string tenant_id;
  std::vector<std::string> roles;
  std::string service;
  std::string description;
  std::optional<TimePoint> expires_at;
  std::vector<std::string> networks;  // canonical CIDRs (util/networks.hpp); empty: anywhere
};

// A token as listed: everything but the secret.
using TokenInfo = TokenRow;

class TokenStore {
 public:
  // With a cache, authenticate() answers from it when it can.
  explicit TokenStore(Database& db, TokenCache* cache = nullptr) : db_(db), cache_(cache) {}

  // `also` runs in the same transaction (the audit record), with the new id.
  using Also = TokenRepo::Also;
  Result<IssuedToken> issue(const TokenSpec& spec, const Also& also = {});
  // A new token for `spec` and what stores it (the hash, never the secret):
  // issue() writes it in a transaction of its own, role login with
  // insert_token() (db/tokens.hpp) in the login's.
  struct Minted {
    IssuedToken issued;
    TokenRow row;
    std::string hash;
  };
  static Minted mint(const TokenSpec& spec);
  // Error{unauthenticated} for unknown, expired or revoked tokens, and for
  // a token used from outside its networks, with a message that does not
  // say which. `remote` is the peer's address.
  Result<Principal> authenticate(const std::string& token, const std::string& remote);
  // The tenant's tokens, newest first, `limit` from after `cursor` (an id).
  Result<std::vector<TokenInfo>> list(const std::string& tenant_id, int limit, const std::string& cursor);
  // False when the tenant has no such token; revoking twice is fine.
  Result<bool> revoke(const std::string& tenant_id, const std::string& id, const Also& also = {});
  Result<bool> super_admin_exists();

 private:
  Database& db_;
  TokenCache* cache_;
};

inline constexpr const char* kSuperAdminRole = "pki_super_admin";

}  // namespace signet::host
