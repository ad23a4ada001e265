#include "db/revocations.hpp"

#include <encoding/base64url.hpp>

#include "db/prepared.hpp"
#include "util/text.hpp"

using signet::encoding::base64url;
using signet::encoding::base64url_decode;

namespace signet::host {
namespace {

// Rows fetched per round trip: a list of a million entries comes in
// batches instead of a million single-row fetches.
constexpr std::size_t kBatch = 4096;

}  // namespace

bool set_entry_serial(CrlEntry& entry, std::string_view hex) {
  if (hex.size() % 2) return false;
  const std::size_t octets = hex.size() / 2;
  if (octets == 0 || octets > entry.serial.size()) return false;
  for (std::size_t i = 0; i < octets; ++i) {
    const int high = hex_digit_value(hex[2 * i]), low = hex_digit_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    entry.serial[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  entry.serial_size = static_cast<std::uint8_t>(octets);
  return true;
}

Result<long long> latest_revocation_seq(Database& db) {
  return read(db, [&](soci::session& s) -> Result<long long> {
    long long seq = 0;
    soci::indicator ind = soci::i_ok;
    s << "SELECT MAX(seq) FROM revocations", soci::into(seq, ind);
    return ind == soci::i_ok ? seq : 0;
  });
}

Result<std::vector<CrlScope>> scopes_revoked_since(Database& db, long long after_seq) {
  return read(db, [&](soci::session& s) -> Result<std::vector<CrlScope>> {
    soci::rowset<soci::row> rows = (s.prepare << "SELECT DISTINCT ca, crl_shard FROM revocations WHERE seq > :after",
                                    soci::use(after_seq));
    std::vector<CrlScope> out;
    for (const auto& row : rows) out.push_back({row.get<std::string>(0), row.get<int>(1)});
    return out;
  });
}

Result<std::vector<CrlEntry>> crl_entries(Database& db, const CrlScope& scope, long long after_seq, long long up_to_seq,
                                          TimePoint expired_before) {
  return read(db, [&](soci::session& s) -> Result<std::vector<CrlEntry>> {
    const long long cutoff = to_unix_ms(expired_before);
    std::vector<std::string> serials(kBatch);
    std::vector<long long> revoked(kBatch), invalidity(kBatch);
    std::vector<int> reasons(kBatch);
    soci::statement st =
        (s.prepare << "SELECT serial, revoked_at, reason, COALESCE(invalidity_date, 0) FROM revocations "
                      "WHERE ca = :ca AND crl_shard = :shard AND seq > :after AND seq <= :upto AND not_after >= :cutoff",
         soci::into(serials), soci::into(revoked), soci::into(reasons), soci::into(invalidity), soci::use(scope.ca),
         soci::use(scope.shard), soci::use(after_seq), soci::use(up_to_seq), soci::use(cutoff));
    std::vector<CrlEntry> out;
    st.execute();
    while (st.fetch()) {
      for (std::size_t i = 0; i < serials.size(); ++i) {
        CrlEntry e;
        if (!set_entry_serial(e, serials[i])) continue;  // not a serial this host wrote; never listed wrong
        e.reason = static_cast<RevocationReason>(reasons[i]);
        e.revoked_at = revoked[i] / 1000;
        e.invalidity_date = invalidity[i] / 1000;
        out.push_back(e);
      }
      // fetch() shrank them to the rows it got.
      serials.resize(kBatch);
      revoked.resize(kBatch);
      reasons.resize(kBatch);
      invalidity.resize(kBatch);
    }
    return out;
  });
}

Result<std::uint64_t> take_crl_number(Database& db, const std::string& ca) {
  long long number = 0;
  auto written = db.write([&](soci::session& s) {
    soci::indicator ind = soci::i_ok;
    long long last = 0;
    s << "SELECT last_number FROM crl_numbers WHERE ca = :ca", soci::use(ca), soci::into(last, ind);
    number = (s.got_data() && ind == soci::i_ok ? last : 0) + 1;
    if (number == 1) s << "INSERT INTO crl_numbers (ca, last_number) VALUES (:ca, :n)", soci::use(ca), soci::use(number);
    else s << "UPDATE crl_numbers SET last_number = :n WHERE ca = :ca", soci::use(number), soci::use(ca);
  });
  if (!written) return std::move(written).error();
  return static_cast<std::uint64_t>(number);
}

Result<void> save_crl(Database& db, const StoredCrl& c) {
  const std::string text = base64url(c.der);
  const int delta = c.delta ? 1 : 0;
  const long long number = static_cast<long long>(c.number), this_update = to_unix_ms(c.this_update),
                  next_update = to_unix_ms(c.next_update);
  return db.write([&](soci::session& s) {
    s << "DELETE FROM crls WHERE ca = :ca AND shard = :shard AND delta = :delta", soci::use(c.scope.ca),
        soci::use(c.scope.shard), soci::use(delta);
    s << "INSERT INTO crls (ca, shard, delta, number, this_update, next_update, last_seq, der) "
         "VALUES (:ca, :shard, :delta, :number, :this_update, :next_update, :last_seq, :der)",
        soci::use(c.scope.ca), soci::use(c.scope.shard), soci::use(delta), soci::use(number), soci::use(this_update),
        soci::use(next_update), soci::use(c.last_seq), soci::use(text);
  });
}

Result<std::vector<StoredCrl>> load_crls(Database& db) {
  return read(db, [&](soci::session& s) -> Result<std::vector<StoredCrl>> {
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT ca, shard, delta, number, this_update, next_update, last_seq, der FROM crls");
    std::vector<StoredCrl> out;
    for (const auto& row : rows) {
      StoredCrl c;
      c.scope = {row.get<std::string>(0), row.get<int>(1)};
      c.delta = row.get<int>(2) != 0;
      c.number = static_cast<std::uint64_t>(row.get<long long>(3));
      c.this_update = from_unix_ms(row.get<long long>(4));
      c.next_update = from_unix_ms(row.get<long long>(5));
      c.last_seq = row.get<long long>(6);
      c.der = base64url_decode(row.get<std::string>(7));
      out.push_back(std::move(c));
    }
    return out;
  });
}

void record_revocation(soci::session& s, const std::string& tenant_id, const std::string& certificate_id,
                       const RevocationMark& mark) {
  const long long at = to_unix_ms(mark.at);
  const long long invalidity = mark.invalidity_date ? to_unix_ms(*mark.invalidity_date) : 0;
  const SqlParam invalidity_date = invalidity ? SqlParam(invalidity) : SqlParam::null_number();
  // The numbered revocation first (CRLs and OCSP are made from it), while
  // the certificate still reads as not revoked. MAX(seq) + 1 inside the
  // INSERT: the number is taken in the same statement that uses it.
  execute(s,
          "INSERT INTO revocations (seq, ca, serial, certificate_id, revoked_at, reason, invalidity_date, not_after, "
          "crl_shard) SELECT (SELECT COALESCE(MAX(seq), 0) + 1 FROM revocations), ca, serial, id, :t, :code, "
          ":invalidity, not_after, crl_shard FROM certificates "
          "WHERE tenant_id = :tenant AND id = :id AND status <> 'revoked'",
          {at, mark.reason_code, invalidity_date, tenant_id, certificate_id});
  execute(s,
          "UPDATE certificates SET status = 'revoked', revoked_at = :t, revocation_reason = :r, updated_at = :t2 "
          "WHERE tenant_id = :tenant AND id = :id AND status <> 'revoked'",
          {at, mark.reason, at, tenant_id, certificate_id});
}

}  // namespace signet::host
