// The approles and approle_secrets tables: login roles of every tenant and
// their secret ids (as SHA-256 hashes). Login's checks are auth/approles'.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct AppRole {
  std::string id;  // the role_id
  std::string tenant_id, name, service;
  std::vector<std::string> roles;
  std::chrono::milliseconds token_ttl{0}, secret_id_ttl{0};
  int secret_id_uses = 0;  // 0: unlimited
  TimePoint created_at{};
};

// A secret id as stored: its hash, never the secret.
struct AppRoleSecret {
  std::string id, approle_id, secret_hash;
  TimePoint expires_at{}, created_at{};
  std::optional<int> uses_left;  // nullopt: unlimited
};

class AppRoleRepo {
 public:
  explicit AppRoleRepo(Database& db) : db_(db) {}

  // `also` runs in the same transaction (its audit record), with the object's id.
  using Also = std::function<void(soci::session&, const std::string& id)>;
  // False (nothing written, `also` not run) when the tenant has a role of that name.
  Result<bool> create(const AppRole& role, const Also& also = {});
  // The tenant's roles but the deleted ones, by name.
  Result<std::vector<AppRole>> list(const std::string& tenant_id);
  // False when the tenant never had such a role. `also` runs only when this
  // call deleted it.
  Result<bool> remove(const std::string& tenant_id, const std::string& id, TimePoint at, const Also& also = {});

 private:
  Database& db_;
};

// Inside AppRoleStore's write transactions (new secret ids, login); these
// throw on database errors.

// The tenant's role, unless deleted.
std::optional<AppRole> find_live_approle(soci::session& s, const std::string& tenant_id, const std::string& id);
// Any tenant's role, deleted ones included (approle_deleted tells).
std::optional<AppRole> find_approle(soci::session& s, const std::string& id);
bool approle_deleted(soci::session& s, const std::string& id);
void insert_approle_secret(soci::session& s, const AppRoleSecret& secret);
// Without created_at (not read).
std::optional<AppRoleSecret> find_approle_secret(soci::session& s, const std::string& secret_hash);
// Takes one use of a secret id that has a limited number.
void take_approle_secret_use(soci::session& s, const std::string& secret_id_row);

}  // namespace signet::host
