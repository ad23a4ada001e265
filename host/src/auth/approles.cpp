#include "auth/approles.hpp"

#include "db/prepared.hpp"
#include "util/ids.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

constexpr const char* kSecretIdPrefix = "sgs_";
constexpr const char* kColumns =
    "SELECT id, tenant_id, name, service, roles, token_ttl_ms, secret_id_ttl_ms, secret_id_uses, created_at FROM approles";

AppRole role_of(const soci::row& r) {
  return {r.get<std::string>(0),
          r.get<std::string>(1),
          r.get<std::string>(2),
          text_at(r, 3),
          split(r.get<std::string>(4), ','),
          std::chrono::milliseconds(r.get<long long>(5)),
          std::chrono::milliseconds(r.get<long long>(6)),
          r.get<int>(7),
          from_unix_ms(r.get<long long>(8))};
}

bool deleted(soci::session& s, const std::string& id) {
  return query_number(s, "SELECT COUNT(*) FROM approles WHERE id = :id AND deleted_at IS NOT NULL", {id}).value_or(0) > 0;
}

Error bad_pair() { return make_error(ErrorCode::unauthenticated, "invalid role_id or secret_id, or the secret_id is expired or used up"); }

}  // namespace

Result<AppRole> AppRoleStore::create(AppRole role, const Also& also) {
  role.id = new_id("rol");
  role.created_at = Clock::now();
  bool taken = false;
  auto written = db_.write([&](soci::session& s) {
    taken = query_number(s, "SELECT COUNT(*) FROM approles WHERE tenant_id = :t AND name = :n", {role.tenant_id, role.name})
                .value_or(0) > 0;
    if (taken) return;
    execute(s,
            "INSERT INTO approles (id, tenant_id, name, roles, service, token_ttl_ms, secret_id_ttl_ms, secret_id_uses, "
            "created_at) VALUES (:id, :t, :n, :r, :s, :ttl, :sttl, :uses, :now)",
            {role.id, role.tenant_id, role.name, join(role.roles, ','), SqlParam::text_or_null(role.service),
             static_cast<long long>(role.token_ttl.count()), static_cast<long long>(role.secret_id_ttl.count()),
             role.secret_id_uses, static_cast<long long>(to_unix_ms(role.created_at))});
    if (also) also(s, role.id);
  });
  if (!written) return std::move(written).error();
  if (taken) return make_error(ErrorCode::conflict, "a login role named " + role.name + " exists already");
  return role;
}

Result<std::vector<AppRole>> AppRoleStore::list(const std::string& tenant_id) {
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    soci::rowset<soci::row> rows =
        (s.prepare << std::string(kColumns) + " WHERE tenant_id = :t AND deleted_at IS NULL ORDER BY name", soci::use(tenant_id));
    std::vector<AppRole> out;
    for (const auto& r : rows) out.push_back(role_of(r));
    return out;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<bool> AppRoleStore::remove(const std::string& tenant_id, const std::string& id, const Also& also) {
  bool found = false;
  auto written = db_.write([&](soci::session& s) {
    found = query_number(s, "SELECT COUNT(*) FROM approles WHERE tenant_id = :t AND id = :id", {tenant_id, id}).value_or(0) > 0;
    const long long changed =
        execute(s, "UPDATE approles SET deleted_at = :now WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL",
                {static_cast<long long>(to_unix_ms(Clock::now())), tenant_id, id});
    if (changed > 0 && also) also(s, id);
  });
  if (!written) return std::move(written).error();
  return found;
}

Result<IssuedSecretId> AppRoleStore::new_secret_id(const std::string& tenant_id, const std::string& role_id, const Also& also) {
  IssuedSecretId issued{new_id("sid"), kSecretIdPrefix + random_base64url(32), {}};
  bool found = false;
  auto written = db_.write([&](soci::session& s) {
    soci::row r;
    s << std::string(kColumns) + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL", soci::use(tenant_id),
        soci::use(role_id), soci::into(r);
    found = s.got_data();
    if (!found) return;
    const AppRole role = role_of(r);
    const TimePoint now = Clock::now();
    issued.expires_at = now + role.secret_id_ttl;
    execute(s,
            "INSERT INTO approle_secrets (id, approle_id, secret_hash, expires_at, uses_left, created_at) "
            "VALUES (:id, :role, :hash, :expires, :uses, :now)",
            {issued.id, role.id, sha256_hex(issued.secret_id), static_cast<long long>(to_unix_ms(issued.expires_at)),
             role.secret_id_uses > 0 ? SqlParam(role.secret_id_uses) : SqlParam::null_number(),
             static_cast<long long>(to_unix_ms(now))});
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
    soci::row r;
    s << std::string(kColumns) + " WHERE id = :id", soci::use(role_id), soci::into(r);
    if (!s.got_data()) return refuse("no such login role");
    role = role_of(r);  // known from here on: the record goes to the role's tenant
    if (deleted(s, role->id)) return refuse("the login role was deleted");
    std::string secret_row, owner;
    long long expires = 0;
    int uses = 0;
    soci::indicator uses_ind = soci::i_null;
    const std::string hash = sha256_hex(secret_id);  // named: soci binds by reference until the statement runs
    s << "SELECT id, approle_id, expires_at, uses_left FROM approle_secrets WHERE secret_hash = :h",
        soci::use(hash), soci::into(secret_row), soci::into(owner), soci::into(expires),
        soci::into(uses, uses_ind);
    const TimePoint now = Clock::now();
    if (!s.got_data() || owner != role->id) return refuse("the secret_id is not one of this role's");
    if (from_unix_ms(expires) <= now) return refuse("the secret_id expired");
    if (uses_ind == soci::i_ok && uses <= 0) return refuse("the secret_id is used up");
    if (uses_ind == soci::i_ok)
      execute(s, "UPDATE approle_secrets SET uses_left = uses_left - 1 WHERE id = :id", {secret_row});
    TokenSpec spec{role->tenant_id, role->roles, role->service, "login role " + role->name, now + role->token_ttl, {}};
    auto token = TokenStore(db_).issue(spec);  // nested: the same transaction
    if (!token) throw std::runtime_error(token.error().message);
    audit(s, role, "success", "");
    done = Login{std::move(token).value(), now + role->token_ttl, *role};
  });
  if (!written) return std::move(written).error();
  if (!done) return bad_pair();
  return std::move(*done);
}

}  // namespace signet::host
