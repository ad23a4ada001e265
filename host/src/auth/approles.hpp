// Role login for services, in the style of Vault's AppRole: an admin
// defines a login role (roles, service, token TTL) and hands out secret
// ids with a TTL and a number of uses; a service trades role_id +
// secret_id for a short-lived token (POST /v1/auth/login). Secret ids
// are shown once and stored as SHA-256 hashes, like tokens.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "auth/tokens.hpp"
#include "db/approles.hpp"
#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

// AppRole, a login role as stored, is db/approles.hpp's.

struct IssuedSecretId {
  std::string id;
  std::string secret_id;  // the secret; never stored, never logged
  TimePoint expires_at{};
};

struct Login {
  IssuedToken token;
  TimePoint expires_at{};
  AppRole role;
};

class AppRoleStore {
 public:
  using Also = TokenStore::Also;  // runs in the same transaction, with the new object's id
  explicit AppRoleStore(Database& db) : db_(db) {}

  // Error{conflict} when the tenant has a login role of that name.
  Result<AppRole> create(AppRole role, const Also& also = {});
  Result<std::vector<AppRole>> list(const std::string& tenant_id);
  // False when the tenant never had such a role; deleting twice is fine.
  // A deleted role's secret ids stop working.
  Result<bool> remove(const std::string& tenant_id, const std::string& id, const Also& also = {});
  // Error{not_found} for an unknown role.
  Result<IssuedSecretId> new_secret_id(const std::string& tenant_id, const std::string& role_id, const Also& also = {});

  // Checks the pair, takes one use of the secret id and issues a token, in
  // one transaction. Error{unauthenticated} with one message for every bad
  // pair; `why` gets the precise reason for the audit log. `audit` runs in
  // the same transaction whatever the outcome (with the role when known).
  using Audit = std::function<void(soci::session&, const std::optional<AppRole>&, const std::string& outcome,
                                   const std::string& why)>;
  Result<Login> login(const std::string& role_id, const std::string& secret_id, const Audit& audit);

 private:
  Database& db_;
};

}  // namespace signet::host
