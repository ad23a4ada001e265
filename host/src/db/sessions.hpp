// People's sessions on the dashboard, and the OpenID Connect sign-ins under
// way. Only SHA-256 hashes of the cookie and of the sign-in state are
// stored: a copy of the database signs nobody in.
#pragma once

#include <optional>
#include <string>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct SessionRow {
  std::string id_hash;    // hex SHA-256 of the cookie's secret
  std::string principal;  // JSON, as auth/sessions.cpp writes it
  std::string source;     // the token signed in with (its id), or "oidc:<issuer>#<subject>"
  TimePoint created_at{}, last_seen_at{}, idle_until{}, expires_at{};
};

Result<void> insert_session(Database& db, const SessionRow& row);
// A session that has not ended, or nullopt. Time limits are the caller's to check.
Result<std::optional<SessionRow>> find_session(Database& db, const std::string& id_hash);
// Moves the idle deadline (and last_seen_at) forward.
Result<void> touch_session(Database& db, const std::string& id_hash, TimePoint now, TimePoint idle_until);
Result<void> end_session(Database& db, const std::string& id_hash, TimePoint now);
// Sessions and sign-ins that can no longer be used, gone for good.
Result<long long> delete_stale_sessions(Database& db, TimePoint now);

struct OidcLoginRow {
  std::string state_hash;  // hex SHA-256 of `state`
  std::string nonce, code_verifier, return_to;
  TimePoint created_at{};
};
Result<void> insert_oidc_login(Database& db, const OidcLoginRow& row);
// Finds and deletes the sign-in in one transaction: a state works once.
Result<std::optional<OidcLoginRow>> take_oidc_login(Database& db, const std::string& state_hash);

}  // namespace signet::host
