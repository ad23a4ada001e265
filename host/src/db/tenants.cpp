#include "db/tenants.hpp"

#include "db/prepared.hpp"
#include "util/ids.hpp"
#include "util/time.hpp"

namespace signet::host {

Result<std::optional<Tenant>> find_tenant_by_slug(Database& db, const std::string& slug) {
  return read(db, [&](soci::session& s) -> Result<std::optional<Tenant>> {
    Tenant t;
    s << "SELECT id, slug, name FROM tenants WHERE slug = :slug", soci::use(slug), soci::into(t.id),
        soci::into(t.slug), soci::into(t.name);
    if (!s.got_data()) return std::optional<Tenant>();
    return std::optional<Tenant>(t);
  });
}

Result<Tenant> create_tenant(Database& db, const std::string& slug, const std::string& name,
                             const std::function<void(soci::session&, const Tenant&)>& also) {
  Tenant t{new_id("tnt"), slug, name, Clock::now()};
  bool taken = false;
  auto written = db.write([&](soci::session& s) {
    taken = query_number(s, "SELECT COUNT(*) FROM tenants WHERE slug = :slug", {slug}).value_or(0) > 0;
    if (taken) return;
    execute(s, "INSERT INTO tenants (id, slug, name, created_at) VALUES (:id, :slug, :name, :now)",
            {t.id, t.slug, t.name, static_cast<long long>(to_unix_ms(t.created_at))});
    if (also) also(s, t);
  });
  if (!written) return std::move(written).error();
  if (taken) return make_error(ErrorCode::conflict, "a tenant with slug " + slug + " exists already");
  return t;
}

Result<Tenant> ensure_tenant(Database& db, const std::string& slug, const std::string& name) {
  auto found = find_tenant_by_slug(db, slug);
  if (!found) return std::move(found).error();
  if (found.value()) return *found.value();
  auto created = create_tenant(db, slug, name);
  if (created || created.error().code != ErrorCode::conflict) return created;
  // Lost a race with another writer: the tenant exists now.
  auto again = find_tenant_by_slug(db, slug);
  if (!again) return std::move(again).error();
  if (!again.value()) return make_error(ErrorCode::unavailable, "tenant " + slug + " vanished while being created");
  return *again.value();
}

Result<std::vector<Tenant>> list_tenants(Database& db) {
  return read(db, [&](soci::session& s) -> Result<std::vector<Tenant>> {
    soci::rowset<soci::row> rows = (s.prepare << "SELECT id, slug, name, created_at FROM tenants ORDER BY slug");
    std::vector<Tenant> out;
    for (const auto& r : rows)
      out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                     from_unix_ms(r.get<long long>(3))});
    return out;
  });
}

}  // namespace signet::host
