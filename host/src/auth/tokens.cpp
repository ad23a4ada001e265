#include "auth/tokens.hpp"

#include "db/prepared.hpp"
#include "util/ids.hpp"
#include "util/networks.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

constexpr const char* kTokenPrefix = "sgt_";

Error invalid_token() { return make_error(ErrorCode::unauthenticated, "the token is invalid, expired or revoked"); }

std::optional<TimePoint> time_at(const soci::row& r, std::size_t i) {
  if (r.get_indicator(i) != soci::i_ok) return std::nullopt;
  return from_unix_ms(r.get<long long>(i));
}

}  // namespace

Result<IssuedToken> TokenStore::issue(const TokenSpec& spec, const Also& also) {
  IssuedToken issued{new_id("tok"), kTokenPrefix + random_base64url(32)};
  const std::string hash = sha256_hex(issued.token);
  const std::string roles = join(spec.roles, ',');
  const std::string networks = join(spec.networks, ',');
  const long long now = to_unix_ms(Clock::now());
  long long expires = spec.expires_at ? to_unix_ms(*spec.expires_at) : 0;
  soci::indicator expires_ind = spec.expires_at ? soci::i_ok : soci::i_null;
  soci::indicator service_ind = spec.service.empty() ? soci::i_null : soci::i_ok;
  soci::indicator networks_ind = networks.empty() ? soci::i_null : soci::i_ok;
  auto written = db_.write([&](soci::session& s) {
    s << "INSERT INTO tokens (id, tenant_id, token_hash, roles, service, description, created_at, expires_at, "
         "allowed_networks) VALUES (:id, :tenant, :hash, :roles, :service, :description, :now, :expires, :networks)",
        soci::use(issued.id), soci::use(spec.tenant_id), soci::use(hash), soci::use(roles),
        soci::use(spec.service, service_ind), soci::use(spec.description), soci::use(now),
        soci::use(expires, expires_ind), soci::use(networks, networks_ind);
    if (also) also(s, issued.id);
  });
  if (!written) return std::move(written).error();
  return issued;
}

Result<Principal> TokenStore::authenticate(const std::string& token, const std::string& remote) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 128) return invalid_token();
  const std::string hash = sha256_hex(token);
  const TimePoint now = Clock::now();
  auto from_where = [&](Principal p) -> Result<Principal> {
    if (!p.networks.empty() && !address_in_networks(remote, p.networks)) return invalid_token();
    return p;
  };
  if (cache_)
    if (auto known = cache_->find(hash, now)) return from_where(std::move(*known));
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    soci::row r;
    s << "SELECT t.id, t.tenant_id, n.slug, t.token_hash, t.roles, t.service, t.expires_at, t.revoked_at, "
         "t.allowed_networks FROM tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.token_hash = :hash",
        soci::use(hash), soci::into(r);
    if (!s.got_data() || !constant_time_equal(r.get<std::string>(3), hash)) return invalid_token();
    const auto expires = time_at(r, 6);
    if (time_at(r, 7) || (expires && *expires <= now)) return invalid_token();
    Principal p{r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), split(r.get<std::string>(4), ','),
                text_at(r, 5), "token", split(text_at(r, 8), ',')};
    if (cache_) cache_->put(hash, p, expires, now);
    return from_where(std::move(p));
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<std::vector<TokenInfo>> TokenStore::list(const std::string& tenant_id, int limit, const std::string& cursor) {
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    // Ids are time-ordered (util/ids.hpp): newest first is descending id.
    soci::rowset<soci::row> rows = cursor.empty()
        ? (s.prepare << "SELECT id, tenant_id, roles, service, description, created_at, expires_at, revoked_at, "
                        "allowed_networks FROM tokens WHERE tenant_id = :t ORDER BY id DESC LIMIT :n",
           soci::use(tenant_id), soci::use(limit))
        : (s.prepare << "SELECT id, tenant_id, roles, service, description, created_at, expires_at, revoked_at, "
                        "allowed_networks FROM tokens WHERE tenant_id = :t AND id < :c ORDER BY id DESC LIMIT :n",
           soci::use(tenant_id), soci::use(cursor), soci::use(limit));
    std::vector<TokenInfo> out;
    for (const auto& r : rows)
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), text_at(r, 3), text_at(r, 4),
                     split(r.get<std::string>(2), ','), split(text_at(r, 8), ','), from_unix_ms(r.get<long long>(5)),
                     time_at(r, 6), time_at(r, 7)});
    return out;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<bool> TokenStore::revoke(const std::string& tenant_id, const std::string& id, const Also& also) {
  bool found = false;
  const long long now = to_unix_ms(Clock::now());
  auto written = db_.write([&](soci::session& s) {
    found = query_number(s, "SELECT COUNT(*) FROM tokens WHERE tenant_id = :t AND id = :id", {tenant_id, id})
                .value_or(0) > 0;
    execute(s, "UPDATE tokens SET revoked_at = :now WHERE tenant_id = :t AND id = :id AND revoked_at IS NULL",
            {now, tenant_id, id});
    if (found && also) also(s, id);
  });
  if (!written) return std::move(written).error();
  return found;
}

Result<bool> TokenStore::super_admin_exists() {
  try {
    Connection connection(db_);
    soci::session& s = *connection;
    int count = 0;
    const long long now = to_unix_ms(Clock::now());
    s << "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now) "
         "AND (roles = 'pki_super_admin' OR roles LIKE 'pki_super_admin,%' OR roles LIKE '%,pki_super_admin' "
         "OR roles LIKE '%,pki_super_admin,%')",
        soci::use(now), soci::into(count);
    return count > 0;
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace signet::host
