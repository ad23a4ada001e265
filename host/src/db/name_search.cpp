#include "db/name_search.hpp"

#include "db/prepared.hpp"

namespace signet::host {
namespace {


// The exact pattern: the part taken literally.
std::string exact_pattern(const NamePart& part) {
  return "%" + like_literal(part.text) + (part.suffix ? "" : "%");
}

// "g.name matches the part" over the trigram index. SQLite's FTS5 uses its
// index only for a LIKE without ESCAPE, so that one finds candidates (a %
// or _ in the part widens it) and the escaped one keeps the exact matches.
std::string indexed_match(soci::session& s, FilterQuery& q, const NamePart& part) {
  const std::string exact = "g.name LIKE " + q.bind(exact_pattern(part)) + " ESCAPE '\\'";
  if (is_postgres(s)) return exact;  // pg_trgm reads escapes
  return "g.name LIKE " + q.bind("%" + part.text + (part.suffix ? "" : "%")) + " AND " + exact;
}

std::string names_table(soci::session& s) {
  return is_postgres(s) ? "certificate_names g" : "certificate_name_grams g";
}

}  // namespace

// A LIKE on the SANs' JSON text first (cheap, and it may match a key such
// as "dns"), then each SAN value on its own.
std::string name_row_match(soci::session& s, FilterQuery& q, const NamePart& part) {
  const std::string exact = exact_pattern(part), anywhere = "%" + like_literal(part.text) + "%";
  // Lower-cased as the names table is (ASCII only): PostgreSQL's LOWER
  // follows the collation, and would fold "Ü" where the index does not.
  if (is_postgres(s))
    return "(LOWER(c.common_name COLLATE \"C\") LIKE " + q.bind(exact) + " ESCAPE '\\' OR (LOWER(c.sans COLLATE \"C\") LIKE " +
           q.bind(anywhere) + " ESCAPE '\\' AND EXISTS (SELECT 1 FROM jsonb_each(c.sans::jsonb) k CROSS JOIN LATERAL "
           "jsonb_array_elements_text(CASE WHEN jsonb_typeof(k.value) = 'array' THEN k.value ELSE '[]'::jsonb END) v(name) "
           "WHERE LOWER(v.name COLLATE \"C\") LIKE " + q.bind(exact) + " ESCAPE '\\')))";
  const std::string cn = "LOWER(c.common_name) LIKE " + q.bind(exact) + " ESCAPE '\\'";
  return "(" + cn + " OR (c.sans LIKE " + q.bind(anywhere) + " ESCAPE '\\' AND EXISTS (SELECT 1 FROM json_tree(c.sans) j "
         "WHERE j.type = 'text' AND LOWER(j.value) LIKE " + q.bind(exact) + " ESCAPE '\\')))";
}

// Trigrams need three characters (UTF-8 continuation bytes are not ones).
bool name_indexable(const NamePart& part) {
  int characters = 0;
  for (unsigned char ch : part.text)
    if ((ch & 0xC0) != 0x80) ++characters;
  return characters >= 3;
}

std::optional<std::string> name_index_match(soci::session& s, FilterQuery& q, const std::string& tenant,
                                            const NamePart& part) {
  if (!name_indexable(part)) return std::nullopt;
  std::string ids = "SELECT g.certificate_id FROM " + names_table(s) + " WHERE g.tenant_id = " + q.bind(tenant) + " AND " +
                    indexed_match(s, q, part);
  // SQLite: and the names not indexed yet (a few seconds' worth at most).
  if (!is_postgres(s))
    ids += " UNION ALL SELECT g.certificate_id FROM certificate_names_to_index g WHERE g.tenant_id = " + q.bind(tenant) +
           " AND g.name LIKE " + q.bind(exact_pattern(part)) + " ESCAPE '\\'";
  return "c.id IN (" + ids + ")";
}

void create_name_trigrams(soci::session& s) {
  if (is_postgres(s)) {
    // A role that may not create the extension keeps working without the index.
    s << "SAVEPOINT name_trigrams";
    try {
      s << "CREATE EXTENSION IF NOT EXISTS pg_trgm";
      s << "CREATE INDEX certificate_names_trigrams ON certificate_names USING gin (name gin_trgm_ops)";
      s << "RELEASE SAVEPOINT name_trigrams";
    } catch (const soci::soci_error&) {
      s << "ROLLBACK TO SAVEPOINT name_trigrams";
    }
    return;
  }
  // detail=none: the index answers "which rows hold these trigrams", and
  // FTS5 checks each LIKE on the stored name; positions would double its size.
  s << "CREATE VIRTUAL TABLE certificate_name_grams USING fts5(name, tenant_id UNINDEXED, certificate_id UNINDEXED, "
       "tokenize = 'trigram', detail = 'none')";
  s << "CREATE TRIGGER certificate_name_grams_insert AFTER INSERT ON certificate_names BEGIN "
       "INSERT INTO certificate_name_grams (name, tenant_id, certificate_id) "
       "VALUES (new.name, new.tenant_id, new.certificate_id); END";
  // Names are never deleted today; if they were, this (a scan) keeps the index true.
  s << "CREATE TRIGGER certificate_name_grams_delete AFTER DELETE ON certificate_names BEGIN "
       "DELETE FROM certificate_name_grams WHERE name = old.name AND tenant_id = old.tenant_id "
       "AND certificate_id = old.certificate_id; END";
  s << "INSERT INTO certificate_name_grams (name, tenant_id, certificate_id) "
       "SELECT name, tenant_id, certificate_id FROM certificate_names";
}

void queue_names_for_trigrams(soci::session& s) {
  if (is_postgres(s)) return;
  s << "CREATE TABLE certificate_names_to_index (seq INTEGER PRIMARY KEY, tenant_id VARCHAR(40) NOT NULL, "
       "name VARCHAR(300) NOT NULL, certificate_id VARCHAR(40) NOT NULL)";
  s << "DROP TRIGGER IF EXISTS certificate_name_grams_insert";
  s << "CREATE TRIGGER certificate_names_queued AFTER INSERT ON certificate_names BEGIN "
       "INSERT INTO certificate_names_to_index (tenant_id, name, certificate_id) "
       "VALUES (new.tenant_id, new.name, new.certificate_id); END";
  s << "CREATE TRIGGER certificate_names_unqueued AFTER DELETE ON certificate_names BEGIN "
       "DELETE FROM certificate_names_to_index WHERE name = old.name AND tenant_id = old.tenant_id "
       "AND certificate_id = old.certificate_id; END";
}

long long index_queued_names(soci::session& s, int limit) {
  long long up_to = 0, moved = 0;
  soci::indicator found = soci::i_null;
  s << "SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM certificate_names_to_index ORDER BY seq LIMIT :limit)",
      soci::use(limit), soci::into(up_to, found), soci::into(moved);
  if (found != soci::i_ok || moved == 0) return 0;
  execute(s, "INSERT INTO certificate_name_grams (name, tenant_id, certificate_id) "
             "SELECT name, tenant_id, certificate_id FROM certificate_names_to_index WHERE seq <= :upto ORDER BY seq",
          {up_to});
  execute(s, "DELETE FROM certificate_names_to_index WHERE seq <= :upto", {up_to});
  return moved;
}

bool name_trigrams_present(soci::session& s) {
  int n = 0;
  if (is_postgres(s)) s << "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'certificate_names_trigrams'", soci::into(n);
  else s << "SELECT COUNT(*) FROM sqlite_master WHERE name = 'certificate_name_grams'", soci::into(n);
  return n > 0;
}

}  // namespace signet::host
