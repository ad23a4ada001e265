#include "db/database.hpp"

#include <cctype>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace signet::host {
namespace {

constexpr const char* kSqlitePrefix = "sqlite://";
constexpr long long kSqliteHeapLimit = 256LL << 20;

void prepare_sqlite(soci::session& s) {
  s << "PRAGMA journal_mode=WAL";
  s << "PRAGMA synchronous=FULL";
  s << "PRAGMA foreign_keys=ON";
  s << "PRAGMA busy_timeout=10000";
  // 32 MB of pages per connection instead of SQLite's 2 MB: listings at a
  // million certificates read the same upper B-tree pages again and again,
  // and each read outside the cache is a syscall (docs/BENCHMARKS.md). The
  // cache grows only as far as it is used.
  s << "PRAGMA cache_size=-32768";
  // All connections' caches together (the limit is the process's): past it
  // a cache reuses its own least recently used pages instead of growing, so
  // the host's memory does not follow the database's size (32 MB times 36
  // connections would be over a gigabyte at ten million certificates).
  s << "PRAGMA soft_heap_limit=" << kSqliteHeapLimit;
}

bool is_sqlite_url(const std::string& url) { return url.rfind(kSqlitePrefix, 0) == 0; }

void connect(soci::session& s, const std::string& url) {
  if (is_sqlite_url(url)) {
    const std::string path = sqlite_file_of(url);
    s.open(*soci::factory_sqlite3(), "db=\"" + path + "\" timeout=10 shared_cache=false");
    prepare_sqlite(s);
  } else {
    sql::open_postgres(s, url);
  }
}

std::unique_ptr<soci::connection_pool> make_pool(const std::string& url, std::size_t size) {
  auto pool = std::make_unique<soci::connection_pool>(size);
  for (std::size_t i = 0; i < size; ++i) connect(pool->at(i), url);
  return pool;
}

}  // namespace

Error database_error(const std::exception& e) {
  Error error = make_error(ErrorCode::unavailable, std::string("database: ") + e.what());
  error.retry_after = std::chrono::seconds(1);
  return error;
}

std::string sqlite_file_of(const std::string& url) {
  return is_sqlite_url(url) ? url.substr(std::string(kSqlitePrefix).size()) : "";
}

Result<std::unique_ptr<Database>> Database::open(const std::string& url, std::size_t pool_size) {
  const bool is_pg = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_sqlite_url(url) && !is_pg)
    return make_error(ErrorCode::invalid_config, "database URL must start with sqlite:// or postgresql://");
  try {
    if (!is_pg) {
      const std::filesystem::path file(sqlite_file_of(url));
      if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
      // Token hashes and the audit log live here: 0600, and SQLite gives the
      // -wal and -shm files the main file's mode.
      const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd >= 0) ::close(fd);
    }
    auto pool = make_pool(url, pool_size);
    auto writer = std::make_unique<soci::session>();  // the group committer's own connection
    connect(*writer, url);
    return std::unique_ptr<Database>(new Database(std::move(pool), std::move(writer), url));
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

Database::Database(std::unique_ptr<soci::connection_pool> pool, std::unique_ptr<soci::session> writer, std::string url)
    : pool_(std::move(pool)), url_(std::move(url)), sqlite_(is_sqlite_url(url_)),
      committer_(std::make_unique<GroupCommitter>(std::move(writer), sqlite_ ? "BEGIN IMMEDIATE" : "BEGIN", !sqlite_)) {}

AdvisoryLocks& Database::advisory_locks(const std::string& holder) {
  std::lock_guard lock(locks_mutex_);
  if (!locks_) {
    std::string name = "signet " + holder;  // application_name: printable, at most 63 bytes
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != ':') c = ' ';
    locks_ = std::make_unique<AdvisoryLocks>(url_, name.substr(0, 63));
  }
  return *locks_;
}

Database::~Database() = default;

Result<void> Database::write(const std::function<void(soci::session&)>& fn) {
  auto done = committer_->run(fn);
  if (done) writes_.fetch_add(1, std::memory_order_relaxed);
  return done;
}

Result<void> Database::ping() {
  try {
    Connection connection(*this);
    soci::session& s = *connection;
    int one = 0;
    s << "SELECT 1", soci::into(one);
    if (one != 1) return make_error(ErrorCode::unavailable, "database answered SELECT 1 wrongly");
    return {};
  } catch (const std::exception& e) {
    return database_error(e);
  }
}

}  // namespace signet::host
