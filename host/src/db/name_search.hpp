// Certificates found by part of a name: "checkout-77" anywhere in the CN or
// a SAN, or every name under ".example.com". A LIKE '%…%' cannot use a
// B-tree, so the names have a trigram index (migration 20: SQLite FTS5's
// trigram tokenizer, PostgreSQL's pg_trgm). A listing uses it only when the
// part is rare: it first tests the rows of a bounded window in its own
// order (a common part fills a page within it), and turns to the index
// when the window holds too few matches (docs/dashboard.md,
// docs/BENCHMARKS.md). A trigram index answers rare parts fast and common
// ones slowly (every row holds their trigrams); the window is the reverse.
#pragma once

#include <optional>
#include <string>

#include <soci/soci.h>

#include "db/filter_query.hpp"

namespace signet::host {

struct NamePart {
  std::string text;     // lower-cased
  bool suffix = false;  // the name ends with text; otherwise it contains it
};

// How many rows of the listing's order are tested before the index is used:
// a part in more than one row in 40 fills a page of 50 within them.
inline constexpr int kNameScanWindow = 2000;
// When at least this many of them matched, reading on (up to kNameScanLimit
// rows in all) fills the page for less than the index costs.
inline constexpr int kNameScanGoOn = 8;
inline constexpr int kNameScanLimit = 20000;

// "one of c's names matches `part`", tested on the row of `certificates c`.
std::string name_row_match(soci::session& s, FilterQuery& q, const NamePart& part);

// Whether the part has trigrams (three characters or more).
bool name_indexable(const NamePart& part);

// The same through the trigram index, for one tenant; nullopt when the
// part is too short for trigrams.
std::optional<std::string> name_index_match(soci::session& s, FilterQuery& q, const std::string& tenant,
                                            const NamePart& part);

// Migration 20: the trigram index of certificate_names, kept by triggers on
// SQLite. On PostgreSQL it needs the pg_trgm extension (trusted since 13):
// without it the migration still succeeds and searches scan.
void create_name_trigrams(soci::session& s);

// Whether the trigram index exists (the host warns at start when it does not).
bool name_trigrams_present(soci::session& s);

// Migration 24 (SQLite): new names wait in certificate_names_to_index and
// reach the FTS5 index in the background (index_queued_names), in batches,
// instead of inside every issuance's transaction: FTS5 writes a segment per
// transaction and merges them, which cost the single writer ~60 us per
// certificate (docs/BENCHMARKS.md). Searches read the waiting names too, so
// the answer is the same either way. Nothing on PostgreSQL (its GIN index
// has its own pending list).
void queue_names_for_trigrams(soci::session& s);

// Moves up to `limit` waiting names into the trigram index, in the caller's
// write transaction; how many it moved.
long long index_queued_names(soci::session& s, int limit);

}  // namespace signet::host
