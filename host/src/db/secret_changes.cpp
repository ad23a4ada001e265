#include "db/secret_changes.hpp"

#include "db/prepared.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

SecretChange change_of(const soci::row& r) {
  SecretChange c{text_at(r, 0), text_at(r, 1), text_at(r, 2), text_at(r, 3),
                 text_at(r, 4), text_at(r, 5), text_at(r, 6), text_at(r, 7)};
  c.detail = json::parse(text_at(r, 8), nullptr, false);
  if (!c.detail.is_object()) c.detail = json::object();
  return c;
}

}  // namespace

Result<void> announce_secret_change(Database& db, const SecretChange& c, TimePoint at) {
  const std::string detail = c.detail.dump();
  const long long at_ms = to_unix_ms(at);
  return db.write([&](soci::session& s) {
    execute(s,
            "INSERT INTO secret_changes (request_id, tenant_id, path, store, action, principal, auth, source, detail, "
            "created_at) VALUES (:r, :t, :p, :s, :a, :w, :h, :o, :d, :c)",
            {c.request_id, c.tenant_id, c.path, c.store, c.action, c.principal, c.auth, c.source, detail, at_ms});
  });
}

Result<void> set_secret_change_detail(Database& db, const std::string& request_id, const json& detail) {
  const std::string text = detail.dump();
  return db.write([&](soci::session& s) {
    execute(s, "UPDATE secret_changes SET detail = :d WHERE request_id = :r", {text, request_id});
  });
}

Result<std::vector<SecretChange>> secret_changes_announced_before(Database& db, TimePoint before, int limit) {
  const long long before_ms = to_unix_ms(before);  // named: soci binds by reference
  return read(db, [&](soci::session& s) -> Result<std::vector<SecretChange>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT request_id, tenant_id, path, store, action, principal, auth, source, detail FROM "
                      "secret_changes WHERE created_at <= :b ORDER BY created_at LIMIT "
                   << limit,
         soci::use(before_ms));
    std::vector<SecretChange> out;
    for (const auto& r : rows) out.push_back(change_of(r));
    return out;
  });
}

void forget_secret_change(soci::session& s, const std::string& request_id) {
  execute(s, "DELETE FROM secret_changes WHERE request_id = :r", {request_id});
}

}  // namespace signet::host
