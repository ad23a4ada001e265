// Moves the names that new certificates added into SQLite's trigram index,
// a batch every round (db/name_search.hpp, migration 24): one FTS5 segment
// per round instead of one per issuance transaction. Searches read the
// names still waiting, so nothing is missed in between. Not started on
// PostgreSQL, whose GIN index is kept by the server.
#pragma once

#include <signet/services.hpp>

#include "db/database.hpp"
#include "util/periodic_thread.hpp"

namespace signet::host {

class NameIndexer {
 public:
  NameIndexer(Database& db, signet::Logger& log) : db_(db), log_(log) {}
  ~NameIndexer() { stop(); }
  NameIndexer(const NameIndexer&) = delete;
  NameIndexer& operator=(const NameIndexer&) = delete;

  void start();
  void stop() { thread_.stop(); }
  // One round: moves what waits, in transactions of at most kBatch names.
  void run_once();

  static constexpr int kBatch = 5000;

 private:
  Database& db_;
  signet::Logger& log_;
  PeriodicThread thread_;
};

}  // namespace signet::host
