#include "db/sqlite_snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include <sqlite3.h>

namespace signet::host {
namespace {

using Handle = std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)>;

Result<Handle> open_database(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Handle handle(db, sqlite3_close_v2);
  if (rc != SQLITE_OK)
    return make_error(ErrorCode::unavailable, "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  // The host holds its write lock only for a commit: wait out a busy moment.
  sqlite3_busy_timeout(db, 10'000);
  return handle;
}

}  // namespace

bool is_sqlite_file(const std::string& path) {
  static constexpr char kHeader[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  return in.read(head, sizeof head) && std::equal(head, head + sizeof head, kHeader);
}

Result<void> snapshot_sqlite(const std::string& source, const std::string& destination) {
  auto from = open_database(source, SQLITE_OPEN_READONLY);
  if (!from) return std::move(from).error();
  auto to = open_database(destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!to) return std::move(to).error();
  sqlite3_backup* backup = sqlite3_backup_init(to.value().get(), "main", from.value().get(), "main");
  if (!backup) return make_error(ErrorCode::internal, "cannot back up " + source + ": " + sqlite3_errmsg(to.value().get()));
  // All pages in one step: one read transaction, so one consistent state.
  // A busy or locked source is tried again (bounded) rather than given up.
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 100; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return make_error(ErrorCode::unavailable, "cannot back up " + source + ": " + sqlite3_errstr(rc));
  return {};
}

}  // namespace signet::host
