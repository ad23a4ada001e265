#include "db/certificates.hpp"

#include <algorithm>
#include <set>

#include <openssl/x509.h>

#include <pkix/der.hpp>
#include <pkix/key_kind.hpp>
#include <pkix/pem.hpp>
#include <encoding/base64url.hpp>

#include "db/filter_query.hpp"
#include "db/name_search.hpp"
#include "db/paging.hpp"
#include "db/prepared.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// from_row() reads these by position; kColumnCount follows them.
const char* kColumns =
    "id, tenant_id, request_id, ca, serial, common_name, sans, profile, status, not_before, not_after, "
    "metadata, created_at, revoked_at, revocation_reason, renews, renewed_by, key_sha256, key_store, key_path, service, "
    "auto_renew, renewal_count, not_after_use, renewal_request_id, renewal_attempts, last_renewal_attempt_at, "
    "next_renewal_attempt_at, renewal_error, updated_at, lineage, key_type, key_bits";
constexpr std::size_t kColumnCount = 33;

CertificateRow from_row(const soci::row& r) {
  CertificateRow c;
  c.id = r.get<std::string>(0);
  c.tenant_id = r.get<std::string>(1);
  c.request_id = r.get<std::string>(2);
  c.ca = r.get<std::string>(3);
  c.serial = r.get<std::string>(4);
  c.common_name = text_at(r, 5);
  c.sans = json::parse(r.get<std::string>(6), nullptr, false);
  c.profile = r.get<std::string>(7);
  c.status = r.get<std::string>(8);
  c.not_before = from_unix_ms(r.get<long long>(9));
  c.not_after = from_unix_ms(r.get<long long>(10));
  c.metadata = json::parse(r.get<std::string>(11), nullptr, false);
  c.created_at = from_unix_ms(r.get<long long>(12));
  c.revoked_at = time_at(r, 13);
  c.revocation_reason = text_at(r, 14);
  c.renews = text_at(r, 15);
  c.renewed_by = text_at(r, 16);
  c.key_sha256 = text_at(r, 17);
  c.key_store = text_at(r, 18);
  c.key_path = text_at(r, 19);
  c.service = text_at(r, 20);
  c.auto_renew = r.get<int>(21) != 0;
  c.renewal_count = r.get<int>(22);
  c.not_after_use = time_at(r, 23);
  c.renewal_request_id = text_at(r, 24);
  c.renewal_attempts = r.get<int>(25);
  c.last_renewal_attempt_at = time_at(r, 26);
  c.next_renewal_attempt_at = time_at(r, 27);
  c.renewal_error = text_at(r, 28);
  c.updated_at = time_at(r, 29).value_or(c.created_at);
  c.lineage = text_at(r, 30);
  if (c.lineage.empty()) c.lineage = c.id;
  c.key_type = text_at(r, 31);
  c.key_bits = r.get_indicator(32) == soci::i_null ? 0 : r.get<int>(32);
  return c;
}

// The PEMs, only where they are needed: kPemColumns after kColumns. The
// chain is the shared one (migration 22) or, for rows recorded before it
// and rows written for hosts of the previous release, the row's own.
constexpr const char* kPemColumns =
    ", certificate_pem, COALESCE((SELECT h.chain_pem FROM issuing_chains h WHERE h.id = chain_id), chain_pem)";

CertificateRow from_row_with_pems(const soci::row& r) {
  CertificateRow c = from_row(r);
  c.certificate_pem = r.get<std::string>(kColumnCount);
  c.chain_pem = r.get<std::string>(kColumnCount + 1);
  return c;
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

std::set<std::string> names_of(const CertificateRow& row) {
  std::set<std::string> names;
  auto add = [&](const std::string& n) {
    if (!n.empty()) names.insert(lowered(n));
  };
  add(row.common_name);
  for (const char* kind : {"dns", "ip", "email", "uri"})
    for (const auto& v : row.sans.value(kind, json::array())) add(v.get<std::string>());
  return names;
}


void add_status(FilterQuery& q, const std::string& status, long long now) {
  // The lifecycle job marks certificates expired; until it has, the time says so.
  if (status == "expired") q.also("(c.status = 'expired' OR (c.status = 'active' AND c.not_after < " + q.bind(now) + "))");
  else if (status == "active") q.also("c.status = 'active' AND c.not_after >= " + q.bind(now));
  else if (status == "superseded")
    q.also("c.status = 'active' AND c.not_after >= " + q.bind(now) + " AND c.renewed_by IS NOT NULL");
  else if (!status.empty()) q.also("c.status = " + q.bind(status));
}

void add_range(FilterQuery& q, const char* column, const std::optional<TimePoint>& since,
               const std::optional<TimePoint>& until) {
  if (since) q.also(std::string(column) + " >= " + q.bind(to_unix_ms(*since)));
  if (until) q.also(std::string(column) + " < " + q.bind(to_unix_ms(*until)));
}

void add_exact_name(FilterQuery& q, const std::string& tenant, const std::string& name) {
  // IN, not a correlated EXISTS: the names index finds the few certificates
  // first instead of being asked once per row of the tenant (docs/BENCHMARKS.md).
  q.also("c.id IN (SELECT n.certificate_id FROM certificate_names n WHERE n.tenant_id = " + q.bind(tenant) +
         " AND n.name = " + q.bind(lowered(name)) + ")");
}

// The parts of names searched for: "*.example.com" finds the wildcard
// itself and every name under it, a text any name containing it.
std::vector<NamePart> name_parts(const CertificateFilter& f) {
  std::vector<NamePart> parts;
  if (!f.name_suffix.empty()) {
    const std::string& pattern = f.name_suffix;
    parts.push_back({lowered(pattern.rfind("*.", 0) == 0 ? pattern.substr(1) : "." + pattern), true});
  }
  for (const auto& text : f.texts) parts.push_back({lowered(text), false});
  return parts;
}

FilterQuery build_query(const std::string& tenant, const CertificateFilter& f, long long now) {
  FilterQuery q;
  q.also("c.tenant_id = " + q.bind(tenant));
  add_status(q, f.status, now);
  auto exact = [&](const char* column, const std::string& value) {
    if (!value.empty()) q.also(std::string(column) + " = " + q.bind(value));
  };
  exact("c.common_name", f.common_name);
  exact("c.profile", f.profile);
  exact("c.service", f.service);
  exact("c.ca", f.ca);
  exact("c.serial", f.serial);
  exact("c.key_type", f.key_type);
  if (f.key_bits) q.also("c.key_bits = " + q.bind(static_cast<long long>(f.key_bits)));
  if (f.renewal == "renewed") q.also("c.renewed_by IS NOT NULL");
  else if (f.renewal == "not_renewed") q.also("c.renewed_by IS NULL");
  else if (f.renewal == "failing") q.also("c.renewal_attempts > 0 AND c.renewed_by IS NULL");
  if (!f.name.empty()) add_exact_name(q, tenant, f.name);
  for (const auto& [key, value] : f.metadata)
    q.also("c.metadata LIKE " + q.bind("%" + like_literal(json(key).dump() + ":" + json(value).dump()) + "%") + " ESCAPE '\\'");
  if (f.expiring_before) q.also("c.not_after < " + q.bind(to_unix_ms(*f.expiring_before)));
  add_range(q, "c.created_at", f.issued_since, f.issued_until);
  add_range(q, "c.revoked_at", f.revoked_since, f.revoked_until);
  return q;
}

const char* order_column(CertificateOrder order) {
  switch (order) {
    case CertificateOrder::not_after: return "c.not_after";
    case CertificateOrder::common_name: return "c.common_name";
    case CertificateOrder::created_at: break;
  }
  return "c.created_at";
}

const char* order_name(CertificateOrder order) { return order_column(order) + 2; }

// The cursor is the last row's (sort value, id): stable under inserts. The
// newest-first order keeps the (created_at, id) form it always had.
std::string cursor_of(const CertificateRow& row, CertificateOrder order) {
  if (order == CertificateOrder::created_at) return encode_cursor(to_unix_ms(row.created_at), row.id);
  const json value = order == CertificateOrder::not_after ? json(to_unix_ms(row.not_after)) : json(row.common_name);
  return encoding::base64url(json{{"order", order_name(order)}, {"value", value}, {"id", row.id}}.dump());
}

// "(col, c.id) < (:v, :id)", or nullopt for a cursor of another order. A
// row value, not "col < :v OR (col = :v AND ...)": PostgreSQL reads a row
// value as one range of the index, the OR form row by row from the start
// (a page 20,000 rows in took 47 ms so; docs/BENCHMARKS.md).
std::optional<std::string> after_cursor(FilterQuery& q, const CertificateFilter& f) {
  const std::string column = order_column(f.order), op = f.ascending ? " > " : " < ";
  std::string value, id;
  if (f.order == CertificateOrder::created_at) {
    const auto cursor = decode_cursor(f.cursor);
    if (!cursor || cursor->second.empty()) return std::nullopt;
    value = q.bind(cursor->first);
    id = q.bind(cursor->second);
  } else {
    const json c = json::parse(encoding::base64url_decode(f.cursor), nullptr, false);
    if (!c.is_object() || c.value("order", "") != order_name(f.order) || !c.contains("value") || !c.value("id", json()).is_string())
      return std::nullopt;
    if (f.order == CertificateOrder::not_after && !c["value"].is_number_integer()) return std::nullopt;
    if (f.order == CertificateOrder::common_name && !c["value"].is_string()) return std::nullopt;
    value = c["value"].is_string() ? q.bind(c["value"].get<std::string>()) : q.bind(c["value"].get<long long>());
    id = q.bind(c["id"].get<std::string>());
  }
  return "(" + column + ", c.id)" + op + "(" + value + ", " + id + ")";
}

// A search by part of a name, first step: rows of the listing's order,
// each tested, read until a page and one more match. The first
// kNameScanWindow rows tell how common the parts are: when at least
// kNameScanGoOn of them matched, reading on fills the page within the
// rows that density predicts (up to kNameScanLimit in all), which costs less
// than the index (docs/BENCHMARKS.md); fewer, and the index finds them.
// The result: the ids that match, whether that is the answer (the page
// filled, or the rows ran out), and how many rows each part matched.
struct WindowScan {
  std::vector<std::string> ids;
  bool complete = false;
  std::vector<int> matched;  // per part
};

WindowScan scan_window(soci::session& s, const FilterQuery& base, const CertificateFilter& f,
                       const std::vector<NamePart>& parts, const std::string& order_by, int limit) {
  WindowScan scan;
  scan.matched.assign(parts.size(), 0);
  std::string after;  // a cursor past the rows read so far
  int read_rows = 0;
  for (int window = kNameScanWindow; window > 0;) {
    FilterQuery q = base;
    if (!after.empty()) {
      CertificateFilter past = f;
      past.cursor = after;
      q.also(*after_cursor(q, past));
    }
    std::string flags;
    for (const auto& part : parts) flags += ", CASE WHEN " + name_row_match(s, q, part) + " THEN 1 ELSE 0 END";
    int rows = 0;
    CertificateRow last;
    q.run_until(s, "SELECT c.id, c.created_at, c.not_after, c.common_name" + flags + " FROM certificates c WHERE " +
                       q.where() + " ORDER BY " + order_by + " LIMIT " + std::to_string(window),
                [&](const soci::row& r) {
                  ++rows;
                  last.id = r.get<std::string>(0);
                  last.created_at = from_unix_ms(number_at(r, 1));
                  last.not_after = from_unix_ms(number_at(r, 2));
                  last.common_name = text_at(r, 3);
                  bool all = true;
                  for (std::size_t i = 0; i < parts.size(); ++i) {
                    const bool match = number_at(r, i + 4) != 0;
                    scan.matched[i] += match;
                    all = all && match;
                  }
                  if (all) scan.ids.push_back(last.id);
                  return scan.ids.size() <= static_cast<std::size_t>(limit);
                });
    read_rows += rows;
    if (scan.ids.size() > static_cast<std::size_t>(limit) || rows < window) {
      scan.complete = true;
      return scan;
    }
    if (static_cast<int>(scan.ids.size()) < kNameScanGoOn) return scan;  // rare: the index
    const double density = static_cast<double>(scan.ids.size()) / read_rows;
    const int needed = static_cast<int>((limit + 1 - static_cast<int>(scan.ids.size())) / density * 1.25) + 1;
    if (read_rows + needed > kNameScanLimit) return scan;
    window = needed;
    after = cursor_of(last, f.order);
  }
  return scan;
}

// Second step, when the window held too few: the rarest part in the window
// goes through the trigram index; the others are tested on the rows it
// finds. Whether the index is used: parts under three characters have no
// trigrams, and are tested on every row.
bool add_indexed_names(soci::session& s, FilterQuery& q, const std::string& tenant, const std::vector<NamePart>& parts,
                       const std::vector<int>& matched) {
  std::optional<std::size_t> rarest;
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (name_indexable(parts[i]) && (!rarest || matched[i] < matched[*rarest])) rarest = i;  // binds nothing yet
  for (std::size_t i = 0; i < parts.size(); ++i)
    q.also(rarest == i ? *name_index_match(s, q, tenant, parts[i]) : name_row_match(s, q, parts[i]));
  return rarest.has_value();
}

}  // namespace

CertificateColumns::CertificateColumns(CertificateRow r)
    : row(std::move(r)), sans(row.sans.dump()), metadata(row.metadata.dump()), not_before(to_unix_ms(row.not_before)),
      not_after(to_unix_ms(row.not_after)), created(to_unix_ms(row.created_at)) {
  if (row.not_after_use) not_after_use = to_unix_ms(*row.not_after_use);
  for (const auto& n : names_of(row)) names.push_back(n);
  chain_id = sha256_hex(row.chain_pem);  // here, on the caller's thread, not in the writer's transaction
}

namespace {

// The chain's row in issuing_chains, written the first time a chain is seen
// (a probe of a table of a few rows after that).
void share_chain(soci::session& s, const CertificateColumns& k) {
  execute(s, "INSERT INTO issuing_chains (id, chain_pem, created_at) VALUES (:id, :chain, :now) ON CONFLICT DO NOTHING",
          {k.chain_id, k.row.chain_pem, k.created});
}

}  // namespace

bool insert_certificate(soci::session& s, const CertificateColumns& k) {
  const CertificateRow& c = k.row;
  const bool held = !c.key_store.empty();
  share_chain(s, k);
  // Hosts of the previous release read the row's own copy: several hosts
  // may share a PostgreSQL database during a rolling upgrade
  // (docs/upgrading.md), so there the copy stays for this release. A SQLite
  // database has one host.
  const std::string& own_chain = is_postgres(s) ? c.chain_pem : std::string();
  // ON CONFLICT DO NOTHING (SQLite 3.24+, PostgreSQL 9.5+): a rerun after a
  // crash finds its row there already (request_id and (ca, serial) are unique).
  const long long inserted = execute(
      s,
      "INSERT INTO certificates (id, tenant_id, request_id, ca, serial, common_name, sans, profile, status, "
      "not_before, not_after, certificate_pem, chain_pem, metadata, created_at, key_sha256, key_store, key_path, "
      "renews, service, crl_shard, auto_renew, renewal_count, not_after_use, updated_at, lineage, key_type, key_bits, "
      "chain_id) "
      "VALUES (:id, :tenant, :rid, :ca, :serial, :cn, :sans, :profile, :status, :nb, :na, :pem, :chain, :metadata, "
      ":created, :key, :store, :path, :renews, :service, :shard, :auto, :count, :use, :updated, :lineage, :ktype, "
      ":kbits, :chain_id) ON CONFLICT DO NOTHING",
      {c.id, c.tenant_id, c.request_id, c.ca, c.serial, c.common_name, k.sans, c.profile, c.status, k.not_before,
       k.not_after, c.certificate_pem, own_chain, k.metadata, k.created, c.key_sha256,
       held ? SqlParam(c.key_store) : SqlParam::null_text(), held ? SqlParam(c.key_path) : SqlParam::null_text(),
       SqlParam::text_or_null(c.renews), SqlParam::text_or_null(c.service), c.crl_shard, c.auto_renew ? 1 : 0,
       c.renewal_count, k.not_after_use ? SqlParam(*k.not_after_use) : SqlParam::null_number(), k.created,
       c.lineage.empty() ? c.id : c.lineage, SqlParam::text_or_null(c.key_type),
       c.key_bits ? SqlParam(c.key_bits) : SqlParam::null_number(), k.chain_id});
  if (inserted == 0) return false;
  if (k.names.empty()) return true;
  // All names in one statement (prepared once per number of names).
  std::string sql = "INSERT INTO certificate_names (tenant_id, name, certificate_id) VALUES ";
  std::vector<SqlParam> params;
  for (std::size_t i = 0; i < k.names.size(); ++i) {
    const std::string n = std::to_string(i);  // names differ: SQLite binds one value to all uses of a name
    sql += (i ? ", (:t" : "(:t") + n + ", :n" + n + ", :c" + n + ")";
    params.insert(params.end(), {c.tenant_id, k.names[i], c.id});
  }
  execute(s, sql + " ON CONFLICT DO NOTHING", params);
  return true;
}

void backfill_key_kinds(soci::session& s) {
  // In batches by id, so memory stays small however many rows there are.
  for (std::string last;;) {
    std::vector<std::pair<std::string, std::string>> batch;  // id, certificate PEM
    soci::rowset<soci::row> rows = (s.prepare << "SELECT id, certificate_pem FROM certificates WHERE key_type IS NULL "
                                                 "AND id > :last ORDER BY id LIMIT 500",
                                    soci::use(last));
    for (const auto& row : rows) batch.emplace_back(row.get<std::string>(0), row.get<std::string>(1));
    if (batch.empty()) return;
    for (const auto& [id, pem] : batch) {
      auto certificate = pkix::read_certificate_pem(pem);
      if (!certificate) continue;
      const pkix::KeyKind key = pkix::key_kind_of_spki(pkix::spki_der(X509_get_X509_PUBKEY(certificate.value().get())));
      if (key.type.empty()) continue;
      execute(s, "UPDATE certificates SET key_type = :type, key_bits = :bits WHERE id = :id",
              {key.type, key.bits ? SqlParam(key.bits) : SqlParam::null_number(), id});
    }
    last = batch.back().first;
  }
}

Result<std::optional<CertificateRow>> find_certificate(Database& db, const std::string& tenant_id, const std::string& id) {
  return read(db, [&](soci::session& s) -> Result<std::optional<CertificateRow>> {
    soci::row row;
    s << "SELECT " << kColumns << kPemColumns << " FROM certificates WHERE tenant_id = :t AND id = :id",
        soci::use(tenant_id), soci::use(id), soci::into(row);
    if (!s.got_data()) return std::optional<CertificateRow>();
    return std::optional<CertificateRow>(from_row_with_pems(row));
  });
}

Result<UpdatesPage> list_certificate_updates(Database& db, const std::string& tenant_id, const std::string& service,
                                             long long since_ms, const std::string& since_id, int limit) {
  FilterQuery q;
  q.also("c.tenant_id = " + q.bind(tenant_id));
  if (!service.empty()) q.also("c.service = " + q.bind(service));
  q.also("(c.updated_at > " + q.bind(since_ms) + " OR (c.updated_at = " + q.bind(since_ms) + " AND c.id > " +
         q.bind(since_id) + "))");
  UpdatesPage page{{}, since_ms, since_id};
  try {
    Connection connection(db);
    soci::session& s = *connection;
    const std::string sql = std::string("SELECT ") + kColumns + " FROM certificates c WHERE " + q.where() +
                            " ORDER BY c.updated_at, c.id LIMIT " + std::to_string(std::clamp(limit, 1, 1000));
    q.run(s, sql, [&](const soci::row& row) { page.items.push_back(from_row(row)); });
  } catch (const std::exception& e) {
    return database_error(e);
  }
  if (!page.items.empty()) {
    page.last_ms = to_unix_ms(page.items.back().updated_at);
    page.last_id = page.items.back().id;
  }
  return page;
}

Result<CertificatePage> list_certificates(Database& db, const std::string& tenant_id, const CertificateFilter& f,
                                          TimePoint now) {
  FilterQuery q = build_query(tenant_id, f, to_unix_ms(now));
  if (!f.cursor.empty()) {
    const auto after = after_cursor(q, f);
    if (!after) return make_error(ErrorCode::invalid_argument, "the cursor is not one this API gave out for this order");
    q.also(*after);
  }
  const int limit = std::clamp(f.limit, 1, 1000);
  const std::string direction = f.ascending ? " ASC" : " DESC";
  const std::string order_by = std::string(order_column(f.order)) + direction + ", c.id" + direction;
  const std::vector<NamePart> parts = name_parts(f);
  return read(db, [&](soci::session& s) -> Result<CertificatePage> {
    CertificatePage page;
    auto take = [&](const FilterQuery& query) {
      query.run(s, std::string("SELECT ") + kColumns + " FROM certificates c WHERE " + query.where() + " ORDER BY " + order_by +
                       " LIMIT " + std::to_string(limit + 1),
                [&](const soci::row& row) { page.items.push_back(from_row(row)); });
    };
    if (parts.empty()) {
      take(q);
    } else if (const auto scan = scan_window(s, q, f, parts, order_by, limit); scan.complete) {
      FilterQuery by_id;
      by_id.also("c.id IN " + by_id.bind_list(scan.ids));
      take(by_id);
    } else {
      FilterQuery indexed = q;
      page.names_by_index = add_indexed_names(s, indexed, tenant_id, parts, scan.matched);
      take(indexed);
    }
    if (page.items.size() > static_cast<std::size_t>(limit)) {
      page.items.pop_back();
      page.next_cursor = cursor_of(page.items.back(), f.order);
    }
    return page;
  });
}

Result<std::vector<std::string>> certificate_services(Database& db, const std::string& tenant_id, int limit) {
  return read(db, [&](soci::session& s) -> Result<std::vector<std::string>> {
    soci::rowset<soci::row> rows = (s.prepare << "SELECT DISTINCT service FROM certificates WHERE tenant_id = :t AND "
                                                 "service IS NOT NULL ORDER BY service LIMIT " << std::clamp(limit, 1, 10000),
                                    soci::use(tenant_id));
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row.get<std::string>(0));
    return out;
  });
}

Result<std::vector<CertificateRow>> certificates_with_key(Database& db, const std::string& tenant_id,
                                                          const std::string& key_sha256, const std::string& except_id,
                                                          TimePoint now) {
  const long long at = to_unix_ms(now);
  return read(db, [&](soci::session& s) -> Result<std::vector<CertificateRow>> {
    // PEMs included: the caller revokes them all. Oldest first, a defined order.
    soci::rowset<soci::row> rows =
        (s.prepare << "SELECT " << kColumns << kPemColumns << " FROM certificates WHERE tenant_id = :t "
                      "AND key_sha256 = :k AND status = 'active' AND not_after > :now AND id <> :id "
                      "ORDER BY created_at, id",
         soci::use(tenant_id), soci::use(key_sha256), soci::use(at), soci::use(except_id));
    std::vector<CertificateRow> out;
    for (const auto& row : rows) out.push_back(from_row_with_pems(row));
    return out;
  });
}

Result<bool> certificate_revoked(Database& db, const std::vector<std::string>& cas, const std::string& serial_hex) {
  return read(db, [&](soci::session& s) -> Result<bool> {
    for (const auto& ca : cas) {
      std::string status;
      s << "SELECT status FROM certificates WHERE ca = :ca AND serial = :serial", soci::use(ca), soci::use(serial_hex),
          soci::into(status);
      if (s.got_data() && status == "revoked") return true;
    }
    return false;
  });
}

}  // namespace signet::host
