#include "db/approles.hpp"

#include "db/prepared.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// role_of() reads these by position.
constexpr const char* kColumns =
    "SELECT id, tenant_id, name, service, roles, token_ttl_ms, secret_id_ttl_ms, secret_id_uses, created_at "
    "FROM approles";

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

}  // namespace

Result<bool> AppRoleRepo::create(const AppRole& role, const Also& also) {
  const std::string roles = join(role.roles, ',');
  const long long created = to_unix_ms(role.created_at);
  bool taken = false;
  auto written = db_.write([&](soci::session& s) {
    taken = query_number(s, "SELECT COUNT(*) FROM approles WHERE tenant_id = :t AND name = :n",
                         {role.tenant_id, role.name})
                .value_or(0) > 0;
    if (taken) return;
    execute(s,
            "INSERT INTO approles (id, tenant_id, name, roles, service, token_ttl_ms, secret_id_ttl_ms, "
            "secret_id_uses, created_at) VALUES (:id, :t, :n, :r, :s, :ttl, :sttl, :uses, :now)",
            {role.id, role.tenant_id, role.name, roles, SqlParam::text_or_null(role.service),
             static_cast<long long>(role.token_ttl.count()), static_cast<long long>(role.secret_id_ttl.count()),
             role.secret_id_uses, created});
    if (also) also(s, role.id);
  });
  if (!written) return std::move(written).error();
  return !taken;
}

Result<std::vector<AppRole>> AppRoleRepo::list(const std::string& tenant_id) {
  return read(db_, [&](soci::session& s) -> Result<std::vector<AppRole>> {
    soci::rowset<soci::row> rows =
        (s.prepare << std::string(kColumns) + " WHERE tenant_id = :t AND deleted_at IS NULL ORDER BY name",
         soci::use(tenant_id));
    std::vector<AppRole> out;
    for (const auto& r : rows) out.push_back(role_of(r));
    return out;
  });
}

Result<bool> AppRoleRepo::remove(const std::string& tenant_id, const std::string& id, TimePoint at, const Also& also) {
  const long long now = to_unix_ms(at);
  bool found = false;
  auto written = db_.write([&](soci::session& s) {
    found = query_number(s, "SELECT COUNT(*) FROM approles WHERE tenant_id = :t AND id = :id", {tenant_id, id})
                .value_or(0) > 0;
    const long long changed =
        execute(s, "UPDATE approles SET deleted_at = :now WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL",
                {now, tenant_id, id});
    if (changed > 0 && also) also(s, id);
  });
  if (!written) return std::move(written).error();
  return found;
}

std::optional<AppRole> find_live_approle(soci::session& s, const std::string& tenant_id, const std::string& id) {
  soci::row r;
  s << std::string(kColumns) + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL", soci::use(tenant_id),
      soci::use(id), soci::into(r);
  if (!s.got_data()) return std::nullopt;
  return role_of(r);
}

std::optional<AppRole> find_approle(soci::session& s, const std::string& id) {
  soci::row r;
  s << std::string(kColumns) + " WHERE id = :id", soci::use(id), soci::into(r);
  if (!s.got_data()) return std::nullopt;
  return role_of(r);
}

bool approle_deleted(soci::session& s, const std::string& id) {
  return query_number(s, "SELECT COUNT(*) FROM approles WHERE id = :id AND deleted_at IS NOT NULL", {id})
             .value_or(0) > 0;
}

void insert_approle_secret(soci::session& s, const AppRoleSecret& secret) {
  execute(s,
          "INSERT INTO approle_secrets (id, approle_id, secret_hash, expires_at, uses_left, created_at) "
          "VALUES (:id, :role, :hash, :expires, :uses, :now)",
          {secret.id, secret.approle_id, secret.secret_hash, static_cast<long long>(to_unix_ms(secret.expires_at)),
           secret.uses_left ? SqlParam(*secret.uses_left) : SqlParam::null_number(),
           static_cast<long long>(to_unix_ms(secret.created_at))});
}

std::optional<AppRoleSecret> find_approle_secret(soci::session& s, const std::string& secret_hash) {
  AppRoleSecret secret;
  long long expires = 0;
  int uses = 0;
  soci::indicator uses_ind = soci::i_null;
  s << "SELECT id, approle_id, expires_at, uses_left FROM approle_secrets WHERE secret_hash = :h",
      soci::use(secret_hash), soci::into(secret.id), soci::into(secret.approle_id), soci::into(expires),
      soci::into(uses, uses_ind);
  if (!s.got_data()) return std::nullopt;
  secret.secret_hash = secret_hash;
  secret.expires_at = from_unix_ms(expires);
  if (uses_ind == soci::i_ok) secret.uses_left = uses;
  return secret;
}

void take_approle_secret_use(soci::session& s, const std::string& secret_id_row) {
  execute(s, "UPDATE approle_secrets SET uses_left = uses_left - 1 WHERE id = :id", {secret_id_row});
}

}  // namespace signet::host
