#include "db/external_refs.hpp"

#include "db/prepared.hpp"

namespace signet::host {

Result<ExternalRefHolder> claim_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                                             const std::string& request_id, TimePoint now) {
  ExternalRefHolder holder;
  auto written = db.write([&](soci::session& s) {
    // ON CONFLICT: hosts claiming at once on PostgreSQL do not fail, one wins.
    execute(s,
            "INSERT INTO external_refs (tenant_id, ref_system, ref_id, ref_number, request_id, created_at) "
            "VALUES (:t, :s, :i, :n, :r, :now) ON CONFLICT (tenant_id, ref_system, ref_id) DO NOTHING",
            {tenant, ref.system, ref.id, ref.number, request_id, static_cast<long long>(to_unix_ms(now))});
    soci::row row;
    s << "SELECT request_id, created_at FROM external_refs WHERE tenant_id = :t AND ref_system = :s AND ref_id = :i",
        soci::use(tenant), soci::use(ref.system), soci::use(ref.id), soci::into(row);
    if (!s.got_data()) return;
    holder = {text_at(row, 0), from_unix_ms(row.get<long long>(1, 0))};
  });
  if (!written) return std::move(written).error();
  if (holder.request_id.empty()) return make_error(ErrorCode::unavailable, "the external reference could not be claimed");
  return holder;
}

Result<bool> move_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                               const std::string& from, const std::string& to, TimePoint now) {
  long long moved = 0;
  auto written = db.write([&](soci::session& s) {
    moved = execute(s,
                    "UPDATE external_refs SET request_id = :to, created_at = :now WHERE tenant_id = :t AND "
                    "ref_system = :s AND ref_id = :i AND request_id = :from",
                    {to, static_cast<long long>(to_unix_ms(now)), tenant, ref.system, ref.id, from});
  });
  if (!written) return std::move(written).error();
  return moved == 1;
}

Result<void> release_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                                  const std::string& request_id) {
  return db.write([&](soci::session& s) {
    execute(s,
            "DELETE FROM external_refs WHERE tenant_id = :t AND ref_system = :s AND ref_id = :i AND request_id = :r",
            {tenant, ref.system, ref.id, request_id});
  });
}

Result<std::optional<signet::ExternalRef>> external_ref_of(Database& db, const std::string& request_id) {
  return read(db, [&](soci::session& s) -> Result<std::optional<signet::ExternalRef>> {
    soci::row row;
    s << "SELECT ref_system, ref_id, ref_number FROM external_refs WHERE request_id = :r", soci::use(request_id),
        soci::into(row);
    if (!s.got_data()) return std::optional<signet::ExternalRef>();
    return std::optional<signet::ExternalRef>(signet::ExternalRef{text_at(row, 0), text_at(row, 1), text_at(row, 2)});
  });
}

}  // namespace signet::host
