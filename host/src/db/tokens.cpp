#include "db/tokens.hpp"

#include "db/filter_query.hpp"
#include "db/prepared.hpp"
#include "util/text.hpp"

namespace signet::host {

void insert_token(soci::session& s, const TokenRow& t, const std::string& token_hash) {
  const std::string roles = join(t.roles, ',');
  const std::string networks = join(t.networks, ',');
  const long long created = to_unix_ms(t.created_at);
  execute(s,
          "INSERT INTO tokens (id, tenant_id, token_hash, roles, service, description, created_at, expires_at, "
          "allowed_networks) VALUES (:id, :tenant, :hash, :roles, :service, :description, :now, :expires, :networks)",
          {t.id, t.tenant_id, token_hash, roles, SqlParam::text_or_null(t.service), t.description, created,
           t.expires_at ? SqlParam(static_cast<long long>(to_unix_ms(*t.expires_at))) : SqlParam::null_number(),
           SqlParam::text_or_null(networks)});
}

Result<void> TokenRepo::insert(const TokenRow& token, const std::string& token_hash, const Also& also) {
  return db_.write([&](soci::session& s) {
    insert_token(s, token, token_hash);
    if (also) also(s, token.id);
  });
}

Result<std::optional<StoredToken>> TokenRepo::find_by_hash(const std::string& token_hash) {
  return read(db_, [&](soci::session& s) -> Result<std::optional<StoredToken>> {
    soci::row r;
    s << "SELECT t.id, t.tenant_id, n.slug, t.token_hash, t.roles, t.service, t.expires_at, t.revoked_at, "
         "t.allowed_networks FROM tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.token_hash = :hash",
        soci::use(token_hash), soci::into(r);
    if (!s.got_data()) return std::optional<StoredToken>();
    StoredToken found;
    TokenRow& t = found.token;
    t.id = r.get<std::string>(0);
    t.tenant_id = r.get<std::string>(1);
    found.tenant_slug = r.get<std::string>(2);
    found.token_hash = r.get<std::string>(3);
    t.roles = split(r.get<std::string>(4), ',');
    t.service = text_at(r, 5);
    t.expires_at = time_at(r, 6);
    t.revoked_at = time_at(r, 7);
    t.networks = split(text_at(r, 8), ',');
    return std::optional<StoredToken>(std::move(found));
  });
}

Result<std::vector<TokenRow>> TokenRepo::list(const std::string& tenant_id, int limit, const std::string& before_id) {
  return read(db_, [&](soci::session& s) -> Result<std::vector<TokenRow>> {
    // Ids are time-ordered (util/ids.hpp): newest first is descending id.
    soci::rowset<soci::row> rows = before_id.empty()
        ? (s.prepare << "SELECT id, tenant_id, roles, service, description, created_at, expires_at, revoked_at, "
                        "allowed_networks FROM tokens WHERE tenant_id = :t ORDER BY id DESC LIMIT :n",
           soci::use(tenant_id), soci::use(limit))
        : (s.prepare << "SELECT id, tenant_id, roles, service, description, created_at, expires_at, revoked_at, "
                        "allowed_networks FROM tokens WHERE tenant_id = :t AND id < :c ORDER BY id DESC LIMIT :n",
           soci::use(tenant_id), soci::use(before_id), soci::use(limit));
    std::vector<TokenRow> out;
    for (const auto& r : rows)
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), text_at(r, 3), text_at(r, 4),
                     split(r.get<std::string>(2), ','), split(text_at(r, 8), ','), from_unix_ms(r.get<long long>(5)),
                     time_at(r, 6), time_at(r, 7)});
    return out;
  });
}

Result<bool> TokenRepo::revoke(const std::string& tenant_id, const std::string& id, TimePoint at, const Also& also) {
  bool found = false;
  const long long now = to_unix_ms(at);
  auto written = db_.write([&](soci::session& s) {
    found = query_number(s, "SELECT COUNT(*) FROM tokens WHERE tenant_id = :t AND id = :id", {tenant_id, id})
                .value_or(0) > 0;
    execute(s, "UPDATE tokens SET revoked_at = :now WHERE tenant_id = :t AND id = :id AND revoked_at IS NULL",
            {now, tenant_id, id});
    // The dashboard sessions signed in with it end with it.
    if (found) execute(s, "UPDATE sessions SET ended_at = :now WHERE source = :id AND ended_at IS NULL", {now, id});
    if (found && also) also(s, id);
  });
  if (!written) return std::move(written).error();
  return found;
}

Result<bool> TokenRepo::any_active_with_role(const std::string& role, TimePoint now) {
  // roles is comma-joined: the role alone, first, last or in between. Role
  // names hold '_', a LIKE wildcard: like_literal takes them literally.
  const std::string literal = like_literal(role);
  const std::string first = literal + ",%", last = "%," + literal, middle = "%," + literal + ",%";
  const long long at = to_unix_ms(now);
  return read(db_, [&](soci::session& s) -> Result<bool> {
    int count = 0;
    s << "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now) "
         "AND (roles = :role OR roles LIKE :first ESCAPE '\\' OR roles LIKE :last ESCAPE '\\' "
         "OR roles LIKE :middle ESCAPE '\\')",
        soci::use(at), soci::use(role), soci::use(first), soci::use(last), soci::use(middle), soci::into(count);
    return count > 0;
  });
}

}  // namespace signet::host
