// The metadata database, through SOCI: SQLite by default (one file, WAL,
// synchronous=FULL so a commit survives power loss), PostgreSQL by URL.
#pragma once

#include <atomic>
#include <cstdint>

#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <soci/soci.h>

#include "db/advisory_locks.hpp"
#include "db/group_commit.hpp"
#include "sql/postgres.hpp"
#include <signet/result.hpp>

namespace signet::host {

struct PendingMigration {
  int version = 0;
  std::string name;
};

// The file of a "sqlite://PATH" URL, or "" for any other URL.
std::string sqlite_file_of(const std::string& url);

class Database {
 public:
  // url: "sqlite:///abs/file.db", "sqlite://relative.db" or "postgresql://...".
  static Result<std::unique_ptr<Database>> open(const std::string& url, std::size_t pool_size);
  ~Database();

  // Borrow a connection for the caller's scope through Connection (below),
  // which reconnects one the server dropped.
  soci::connection_pool& pool() { return *pool_; }
  bool is_sqlite() const { return sqlite_; }

  // Runs fn inside a write transaction (on SQLite: BEGIN IMMEDIATE, so two
  // writers never dead-lock upgrading read locks) and returns once it is
  // durable. Concurrent writes share one commit (db/group_commit.hpp); fn's
  // changes are rolled back alone when it throws, and database errors come
  // back as Error. fn may run twice (its batch is redone when another
  // write in it fails), so it must start from a clean slate each time. fn
  // may call write() again: that runs in the same
  // transaction.
  Result<void> write(const std::function<void(soci::session&)>& fn);
  // How many write() calls committed on this host so far: a cheap "has
  // anything changed?" for those who poll (the dashboard's live feed).
  std::uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }

  // PostgreSQL only: session advisory locks for leadership, on a connection
  // of their own made at first use; `holder` names this process there.
  AdvisoryLocks& advisory_locks(const std::string& holder);

  // Applies the numbered migrations not yet recorded in schema_migrations,
  // up to `up_to` (tests build a database as an older release left it).
  // A database newer than this binary is refused (invalid_config).
  Result<void> migrate(int up_to = std::numeric_limits<int>::max());
  // What migrate() would apply (signet migrate --dry-run).
  Result<std::vector<PendingMigration>> pending_migrations();
  int schema_version();
  static int known_schema_version();  // the last migration this binary has
  Result<void> ping();

 private:
  Result<void> apply_migrations(int current, int up_to);
  static std::optional<Error> refuse_newer(int current);
  Database(std::unique_ptr<soci::connection_pool> pool, std::unique_ptr<soci::session> writer, std::string url);
  std::unique_ptr<soci::connection_pool> pool_;
  std::string url_;
  bool sqlite_;
  std::mutex locks_mutex_;
  std::unique_ptr<AdvisoryLocks> locks_;
  std::unique_ptr<GroupCommitter> committer_;
  std::atomic<std::uint64_t> writes_{0};
};

// A connection borrowed from the pool for the caller's scope:
//   Connection connection(db); soci::session& s = *connection;
// On PostgreSQL, one the server dropped (a restart) is reconnected first,
// so a restart costs the requests in flight at that moment, not the host;
// SQLite has no server to lose (and a new connection would lose the PRAGMAs).
class Connection : public sql::PooledSession {
 public:
  explicit Connection(Database& db) : PooledSession(db.pool(), !db.is_sqlite()) {}
};

// A database failure as an Error{unavailable} with a message safe to log,
// and a short Retry-After: the usual cause is a server restarting.
Error database_error(const std::exception& e);

namespace detail {
template <class T>
struct AsResult {
  using type = Result<T>;
};
template <class T>
struct AsResult<Result<T>> {
  using type = Result<T>;
};
}  // namespace detail

// Runs fn on a connection borrowed from the pool, outside any transaction,
// and returns what it returns as a Result (a Result it returns stays as it
// is); a database failure comes back as database_error().
template <class Fn>
auto read(Database& db, Fn&& fn) -> typename detail::AsResult<std::invoke_result_t<Fn&, soci::session&>>::type {
  try {
    Connection connection(db);
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, soci::session&>>) {
      fn(*connection);
      return {};
    } else {
      return fn(*connection);
    }
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace signet::host
