#include "auth/approles.hpp"

#include "util/ids.hpp"

namespace signet::host {
namespace {

constexpr const char* kSecretIdPrefix = "sgs_";

Error bad_pair() { return make_error(ErrorCode::unauthenticated, "invalid role_id or secret_id, or the secret_id is expired or used up"); }

}  // namespace

Result<AppRole> AppRoleStore::create(AppRole role, const Also& also) {
  role.id = new_id("rol");
  role.created_at = Clock::now();
  auto created = AppRoleRepo(db_).create(role, also);
  if (!created) return std::move(created).error();
  if (!created.value()) return make_error(ErrorCode::conflict, "a login role named " + role.name + " exists already");
  return role;
}

Result<std::vector<AppRole>> AppRoleStore::list(const std::string& tenant_id) {
  return AppRoleRepo(db_).list(tenant_id);
}

Result<bool> AppRoleStore::remove(const std::string& tenant_id, const std::string& id, const Also& also) {
  return AppRoleRepo(db_).remove(tenant_id, id, Clock::now(), also);
}

Result<IssuedSecretId> AppRoleStore::new_secret_id(const std::string& tenant_id, const std::string& role_id, const Also& also) {
  IssuedSecretId issued{new_id("sid"), kSecretIdPrefix + random_base64url(32), {}};
  bool found = false;
  const std::string hash = sha256_hex(issued.secret_id);
  auto written = db_.write([&](soci::session& s) {
    const auto role = find_live_approle(s, tenant_id, role_id);
    found = role.has_value();
    if (!found) return;
    const TimePoint now = Clock::now();
    issued.expires_at = now + role->secret_id_ttl;
    std::optional<int> uses;
    if (role->secret_id_uses > 0) uses = role->secret_id_uses;  // else unlimited
    insert_approle_secret(s, {issued.id, role->id, hash, issued.expires_at, now, uses});
    if (also) also(s, issued.id);
  });
  if (!written) return std::move(written).error();
  if (!found) return make_error(ErrorCode::not_found, "no login role " + role_id.substr(0, 64));
  return issued;
}

Result<Login> AppRoleStore::login(const std::string& role_id, const std::string& secret_id, const Audit& audit) {
  std::optional<Login> done;
  auto written = db_.write([&](soci::session& s) {
    done.reset();
    std::optional<AppRole> role;
    auto refuse = [&](const std::string& why) { audit(s, role, "denied", why); };
    role = find_approle(s, role_id);
    if (!role) return refuse("no such login role");
    // The role is known from here on: the record goes to the role's tenant.
    if (approle_deleted(s, role->id)) return refuse("the login role was deleted");
    const std::string hash = sha256_hex(secret_id);
    const auto secret = find_approle_secret(s, hash);
    const TimePoint now = Clock::now();
    if (!secret || secret->approle_id != role->id) return refuse("the secret_id is not one of this role's");
    if (secret->expires_at <= now) return refuse("the secret_id expired");
    if (secret->uses_left && *secret->uses_left <= 0) return refuse("the secret_id is used up");
    if (secret->uses_left) take_approle_secret_use(s, secret->id);
    TokenSpec spec{role->tenant_id, role->roles, role->service, "login role " + role->name, now + role->token_ttl, {}};
    auto token = TokenStore::mint(spec);
    insert_token(s, token.row, token.hash);  // in this transaction
    audit(s, role, "success", "");
    done = Login{std::move(token.issued), now + role->token_ttl, *role};
  });
  if (!written) return std::move(written).error();
  if (!done) return bad_pair();
  return std::move(*done);
}

}  // namespace signet::host
