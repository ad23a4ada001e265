#include "lifecycle/name_indexer.hpp"

#include "db/name_search.hpp"

namespace signet::host {

void NameIndexer::start() {
  if (!db_.is_sqlite()) return;
  // A fifth of a second: a few hundred names a round at full issuance speed.
  thread_.start(std::chrono::milliseconds(200), [this] { run_once(); });
}

void NameIndexer::run_once() {
  // Catches up after a start (bounded, so stop() is never kept waiting long).
  for (int round = 0; round < 20; ++round) {
    long long moved = 0;
    auto done = db_.write([&](soci::session& s) { moved = index_queued_names(s, kBatch); });
    if (!done) {
      log_.warn("cannot index new names for search", {{"error", done.error().message}});
      return;
    }
    if (moved < kBatch) return;
  }
}

}  // namespace signet::host
