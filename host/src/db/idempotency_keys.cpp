#include "db/idempotency_keys.hpp"

#include "db/prepared.hpp"

namespace signet::host {

Result<std::optional<StoredAnswer>> claim_idempotency_key(Database& db, const std::string& principal, const std::string& key,
                                                          const std::string& fingerprint, TimePoint now, TimePoint cutoff) {
  std::optional<StoredAnswer> stored;
  auto written = db.write([&](soci::session& s) {
    execute(s, "DELETE FROM idempotency_keys WHERE created_at < :cutoff", {static_cast<long long>(to_unix_ms(cutoff))});
    const bool claimed =
        execute(s,
                "INSERT INTO idempotency_keys (principal, idem_key, fingerprint, status, content_type, body, created_at) "
                "SELECT :p, :k, :f, 0, '', '', :now WHERE NOT EXISTS "
                "(SELECT 1 FROM idempotency_keys WHERE principal = :p2 AND idem_key = :k2)",
                {principal, key, fingerprint, static_cast<long long>(to_unix_ms(now)), principal, key}) == 1;
    if (claimed) return;
    soci::row row;
    s << "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE principal = :p AND idem_key = :k",
        soci::use(principal), soci::use(key), soci::into(row);
    if (!s.got_data()) return;
    stored = StoredAnswer{text_at(row, 0), static_cast<int>(row.get<long long>(1, 0)), text_at(row, 2), text_at(row, 3)};
  });
  if (!written) return std::move(written).error();
  return stored;
}

Result<void> complete_idempotency_key(Database& db, const std::string& principal, const std::string& key,
                                      const StoredAnswer& answer) {
  return db.write([&](soci::session& s) {
    execute(s,
            "UPDATE idempotency_keys SET status = :s, content_type = :c, body = :b WHERE principal = :p AND idem_key = :k",
            {answer.status, answer.content_type, answer.body, principal, key});
  });
}

Result<void> release_idempotency_key(Database& db, const std::string& principal, const std::string& key) {
  return db.write([&](soci::session& s) {
    execute(s, "DELETE FROM idempotency_keys WHERE principal = :p AND idem_key = :k", {principal, key});
  });
}

}  // namespace signet::host
