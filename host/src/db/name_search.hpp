// Certificates found by part of a name: "checkout-77" anywhere in the CN or
// a SAN, or every name under ".example.com". A LIKE '%…%' cannot use a
// B-tree, so the names have a trigram index (migration 20: SQLite FTS5's
// trigram tokenizer, PostgreSQL's pg_trgm), and each search is planned by a
// bounded count of how many names match (docs/BENCHMARKS.md).
#pragma once

#include <string>

#include <soci/soci.h>

#include "db/filter_query.hpp"

namespace signet::host {

struct NamePart {
  std::string text;     // lower-cased
  bool suffix = false;  // the name ends with text; otherwise it contains it
};

// More matching names than this and the part is common: the listing is read
// in its own order, testing each row, and fills a page within a few rows.
// At most this many and they are fetched through the trigram index.
inline constexpr int kFewMatchingNames = 4000;

enum class NamePlan {
  trigram_index,  // few names match: fetch their certificates
  row_by_row,     // many do, or the part is too short for trigrams
};
NamePlan plan_name_part(soci::session& s, const std::string& tenant, const NamePart& part);

// Adds "one of c's names matches `part`" to q, for a query over
// `certificates c` of one tenant.
void add_name_part(soci::session& s, FilterQuery& q, const std::string& tenant, const NamePart& part);

// Migration 20: the trigram index of certificate_names, kept by triggers on
// SQLite. On PostgreSQL it needs the pg_trgm extension (trusted since 13):
// without it the migration still succeeds and searches scan.
void create_name_trigrams(soci::session& s);

// Whether the trigram index exists (the host warns at start when it does not).
bool name_trigrams_present(soci::session& s);

}  // namespace signet::host
