// Bearer tokens: shown once when issued, stored only as SHA-256 hashes
// (the tokens carry 256 random bits, so a fast hash is enough).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "auth/token_cache.hpp"
#include "db/database.hpp"
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
};

class TokenStore {
 public:
  // With a cache, authenticate() answers from it when it can.
  explicit TokenStore(Database& db, TokenCache* cache = nullptr) : db_(db), cache_(cache) {}

  Result<IssuedToken> issue(const TokenSpec& spec);
  // Error{unauthenticated} for unknown, expired or revoked tokens, with a
  // message that does not say which.
  Result<Principal> authenticate(const std::string& token);
  Result<bool> super_admin_exists();

 private:
  Database& db_;
  TokenCache* cache_;
};

inline constexpr const char* kSuperAdminRole = "pki_super_admin";

}  // namespace signet::host
