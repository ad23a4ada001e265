#include "db/tenants.hpp"

#include "util/ids.hpp"
#include "util/time.hpp"

namespace signet::host {

Result<std::optional<Tenant>> find_tenant_by_slug(Database& db, const std::string& slug) {
  try {
    soci::session s(db.pool());
    Tenant t;
    s << "SELECT id, slug, name FROM tenants WHERE slug = :slug", soci::use(slug), soci::into(t.id),
        soci::into(t.slug), soci::into(t.name);
    if (!s.got_data()) return std::optional<Tenant>();
    return std::optional<Tenant>(t);
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Result<Tenant> ensure_tenant(Database& db, const std::string& slug, const std::string& name) {
  auto found = find_tenant_by_slug(db, slug);
  if (!found) return std::move(found).error();
  if (found.value()) return *found.value();
  Tenant t{new_id("tnt"), slug, name};
  auto written = db.write([&](soci::session& s) {
    const long long now = to_unix_ms(Clock::now());
    s << "INSERT INTO tenants (id, slug, name, created_at) VALUES (:id, :slug, :name, :now)", soci::use(t.id),
        soci::use(t.slug), soci::use(t.name), soci::use(now);
  });
  if (!written) {
    // Lost a race with another writer: the tenant exists now.
    auto again = find_tenant_by_slug(db, slug);
    if (again && again.value()) return *again.value();
    return std::move(written).error();
  }
  return t;
}

}  // namespace signet::host
