#include "secretstore/sql_secret_store.hpp"

#include "secretstore/master_key.hpp"
#include "sql/postgres.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "encoding/base64url.hpp"

namespace signet::secretstore {
namespace {

using encoding::base64url;
using encoding::base64url_decode;

// A refusal raised inside a transaction: rolls it back and becomes the result.
struct Refusal {
  Error error;
};

const std::vector<const char*> kSchema = {
    R"(CREATE TABLE IF NOT EXISTS secret_paths (
         path VARCHAR(512) PRIMARY KEY,
         current_version BIGINT NOT NULL,
         created_at BIGINT NOT NULL))",
    // state: live, deleted (soft, still there) or destroyed (data erased).
    R"(CREATE TABLE IF NOT EXISTS secret_versions (
         path VARCHAR(512) NOT NULL,
         version BIGINT NOT NULL,
         state VARCHAR(16) NOT NULL,
         kek_id VARCHAR(200),
         wrapped_key TEXT,
         ciphertext TEXT,
         metadata TEXT NOT NULL,
         created_at BIGINT NOT NULL,
         deleted_at BIGINT,
         PRIMARY KEY (path, version)))",
    "CREATE INDEX IF NOT EXISTS secret_versions_kek ON secret_versions (kek_id)",
};

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string context_of(const std::string& path, long long version) { return path + "\n" + std::to_string(version); }

Error store_error(const std::exception& e) {
  return make_error(ErrorCode::unavailable, std::string("secret store database: ") + e.what());
}

// LIKE pattern matching everything under prefix, with \ as the escape.
std::string prefix_pattern(const std::string& prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

Result<void> check_path(const std::string& path) {
  if (!valid_secret_path(path))
    return make_error(ErrorCode::invalid_argument,
                      "secret paths are 1-512 characters of A-Z a-z 0-9 . _ - in segments separated by /");
  return {};
}

}  // namespace

SqlSecretStore::SqlSecretStore(std::unique_ptr<soci::connection_pool> pool, Dialect dialect,
                               std::shared_ptr<const envelope::KeyRing> ring)
    : pool_(std::move(pool)), dialect_(dialect), ring_(std::move(ring)) {}

Result<std::unique_ptr<SqlSecretStore>> SqlSecretStore::open(std::unique_ptr<soci::connection_pool> pool,
                                                             Dialect dialect,
                                                             std::shared_ptr<const envelope::KeyRing> ring) {
  std::unique_ptr<SqlSecretStore> store(new SqlSecretStore(std::move(pool), dialect, std::move(ring)));
  auto created = store->transaction([](soci::session& s) {
    for (const char* sql : kSchema) s << sql;
  });
  if (!created) return std::move(created).error();
  return store;
}

Result<void> SqlSecretStore::transaction(const std::function<void(soci::session&)>& fn) {
  try {
    sql::PooledSession connection(*pool_, dialect_ == Dialect::postgresql);
    soci::session& s = *connection;
    s << (dialect_ == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    try {
      fn(s);
      s << "COMMIT";
      return {};
    } catch (...) {
      try { s << "ROLLBACK"; } catch (...) {}  // the connection may be gone; the first error matters
      throw;
    }
  } catch (const Refusal& r) {
    return r.error;
  } catch (const std::exception& e) {
    return store_error(e);
  }
}

Result<std::uint64_t> SqlSecretStore::put(const PutRequest& request) {
  if (auto bad = check_path(request.path); !bad) return std::move(bad).error();
  long long version = 0;
  auto done = transaction([&](soci::session& s) {
    long long current = 0;
    const long long now = now_ms();
    // PostgreSQL locks the path's row; SQLite's BEGIN IMMEDIATE already
    // serialises writers.
    const std::string lock = dialect_ == Dialect::postgresql ? " FOR UPDATE" : "";
    const std::string select = "SELECT current_version FROM secret_paths WHERE path = :p" + lock;
    s << select, soci::use(request.path), soci::into(current);
    if (!s.got_data()) {
      // A new path has no row to lock: make one at version 0 (a concurrent
      // writer's insert waits for ours, then does nothing), then lock it. A
      // refused put rolls it back; a committed path always has a version.
      s << "INSERT INTO secret_paths (path, current_version, created_at) VALUES (:p, 0, :t) ON CONFLICT (path) DO NOTHING",
          soci::use(request.path), soci::use(now);
      s << select, soci::use(request.path), soci::into(current);
    }
    if (request.cas && static_cast<long long>(*request.cas) != current)
      throw Refusal{make_error(ErrorCode::conflict, "check-and-set failed: " + request.path + " is at version " +
                                                        std::to_string(current) + ", not " +
                                                        std::to_string(*request.cas))};
    version = current + 1;
    auto sealed = envelope::seal(ring_->current(), request.data, context_of(request.path, version));
    if (!sealed) throw Refusal{std::move(sealed).error()};
    const std::string wrapped = base64url(sealed->wrapped_key);
    const std::string cipher = base64url(sealed->ciphertext);
    const std::string metadata = request.metadata.dump();
    s << "UPDATE secret_paths SET current_version = :v WHERE path = :p", soci::use(version), soci::use(request.path);
    s << "INSERT INTO secret_versions (path, version, state, kek_id, wrapped_key, ciphertext, metadata, created_at) "
         "VALUES (:p, :v, 'live', :k, :w, :c, :m, :t)",
        soci::use(request.path), soci::use(version), soci::use(sealed->kek_id), soci::use(wrapped),
        soci::use(cipher), soci::use(metadata), soci::use(now);
  });
  if (!done) return std::move(done).error();
  return static_cast<std::uint64_t>(version);
}

Result<Secret> SqlSecretStore::get(const GetRequest& request) {
  if (auto bad = check_path(request.path); !bad) return std::move(bad).error();
  try {
    sql::PooledSession connection(*pool_, dialect_ == Dialect::postgresql);
    soci::session& s = *connection;
    long long version = request.version ? static_cast<long long>(*request.version) : 0;
    if (!request.version) {
      s << "SELECT current_version FROM secret_paths WHERE path = :p", soci::use(request.path), soci::into(version);
      if (!s.got_data()) return make_error(ErrorCode::not_found, "no secret at " + request.path);
    }
    std::string state, kek_id, wrapped, cipher, metadata;
    soci::indicator wrapped_ind = soci::i_null, cipher_ind = soci::i_null, kek_ind = soci::i_null;
    long long created = 0;
    s << "SELECT state, kek_id, wrapped_key, ciphertext, metadata, created_at FROM secret_versions "
         "WHERE path = :p AND version = :v",
        soci::use(request.path), soci::use(version), soci::into(state), soci::into(kek_id, kek_ind),
        soci::into(wrapped, wrapped_ind), soci::into(cipher, cipher_ind), soci::into(metadata), soci::into(created);
    if (!s.got_data() || state != "live" || cipher_ind != soci::i_ok)
      return make_error(ErrorCode::not_found, "no live version " + std::to_string(version) + " at " + request.path);
    const envelope::Envelope sealed{kek_id, base64url_decode(wrapped), base64url_decode(cipher)};
    auto plain = envelope::open(*ring_, sealed, context_of(request.path, version));
    if (!plain) return std::move(plain).error();
    Secret out;
    out.path = request.path;
    out.version = static_cast<std::uint64_t>(version);
    out.data = std::move(plain).value();
    out.metadata = nlohmann::json::parse(metadata, nullptr, false);
    out.created_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(created));
    return out;
  } catch (const std::exception& e) {
    return store_error(e);
  }
}

Result<std::vector<std::string>> SqlSecretStore::list(const std::string& prefix) {
  try {
    sql::PooledSession connection(*pool_, dialect_ == Dialect::postgresql);
    soci::session& s = *connection;
    const std::string pattern = prefix_pattern(prefix);
    soci::rowset<std::string> rows =
        (s.prepare << "SELECT p.path FROM secret_paths p JOIN secret_versions v "
                      "ON v.path = p.path AND v.version = p.current_version "
                      "WHERE v.state = 'live' AND p.path LIKE :pattern ESCAPE '\\' ORDER BY p.path",
         soci::use(pattern));
    return std::vector<std::string>(rows.begin(), rows.end());
  } catch (const std::exception& e) {
    return store_error(e);
  }
}

Result<void> SqlSecretStore::mark(const DeleteRequest& request, bool erase) {
  if (auto bad = check_path(request.path); !bad) return std::move(bad).error();
  return transaction([&](soci::session& s) {
    long long current = 0;
    s << "SELECT current_version FROM secret_paths WHERE path = :p", soci::use(request.path), soci::into(current);
    if (!s.got_data()) throw Refusal{make_error(ErrorCode::not_found, "no secret at " + request.path)};
    std::vector<std::uint64_t> versions = request.versions;
    if (versions.empty()) versions.push_back(static_cast<std::uint64_t>(current));
    const long long now = now_ms();
    for (const std::uint64_t unsigned_version : versions) {
      const long long v = static_cast<long long>(unsigned_version);
      if (erase)
        s << "UPDATE secret_versions SET state = 'destroyed', wrapped_key = NULL, ciphertext = NULL, "
             "deleted_at = :t WHERE path = :p AND version = :v",
            soci::use(now), soci::use(request.path), soci::use(v);
      else
        s << "UPDATE secret_versions SET state = 'deleted', deleted_at = :t "
             "WHERE path = :p AND version = :v AND state = 'live'",
            soci::use(now), soci::use(request.path), soci::use(v);
    }
  });
}

Result<void> SqlSecretStore::remove(const DeleteRequest& request) { return mark(request, false); }
Result<void> SqlSecretStore::destroy(const DeleteRequest& request) { return mark(request, true); }

Result<void> SqlSecretStore::health() {
  try {
    sql::PooledSession connection(*pool_, dialect_ == Dialect::postgresql);
    soci::session& s = *connection;
    int one = 0;
    s << "SELECT 1", soci::into(one);
    return {};
  } catch (const std::exception& e) {
    return store_error(e);
  }
}

Result<std::size_t> SqlSecretStore::rewrap_all() {
  constexpr int kBatch = 200;
  std::size_t total = 0;
  for (;;) {
    std::size_t in_batch = 0;
    const std::string current = ring_->current().id();
    auto done = transaction([&](soci::session& s) {
      struct Row { std::string path; long long version; std::string kek, wrapped; };
      std::vector<Row> rows;
      soci::rowset<soci::row> found =
          (s.prepare << "SELECT path, version, kek_id, wrapped_key FROM secret_versions "
                        "WHERE kek_id <> :k AND wrapped_key IS NOT NULL ORDER BY path, version LIMIT " +
                            std::to_string(kBatch),
           soci::use(current));
      for (const auto& r : found)
        rows.push_back({r.get<std::string>(0), r.get<long long>(1), r.get<std::string>(2), r.get<std::string>(3)});
      for (const auto& r : rows) {
        // Only the data key changes hands; the payload column is not read.
        auto re = envelope::rewrap(*ring_, {r.kek, base64url_decode(r.wrapped), {}}, context_of(r.path, r.version));
        if (!re) throw Refusal{std::move(re).error()};
        const std::string wrapped = base64url(re->wrapped_key);
        s << "UPDATE secret_versions SET kek_id = :k, wrapped_key = :w WHERE path = :p AND version = :v",
            soci::use(re->kek_id), soci::use(wrapped), soci::use(r.path), soci::use(r.version);
      }
      in_batch = rows.size();
    });
    if (!done) return std::move(done).error();
    total += in_batch;
    if (in_batch < static_cast<std::size_t>(kBatch)) return total;
  }
}

Result<std::unique_ptr<SecretStore>> open_store_instance(std::unique_ptr<soci::connection_pool> pool, Dialect dialect,
                                                        const PluginContext& context) {
  auto ring = key_ring(context);
  if (!ring) return std::move(ring).error();
  auto store = SqlSecretStore::open(std::move(pool), dialect, std::move(ring).value());
  if (!store) return std::move(store).error();
  auto rewrapped = store.value()->rewrap_all();
  if (!rewrapped) return std::move(rewrapped).error();
  if (rewrapped.value() > 0)
    context.services.logger().log(LogLevel::info, "re-wrapped data keys under the current master key",
                                  {{"instance", context.instance_name}, {"count", rewrapped.value()}});
  return std::unique_ptr<SecretStore>(std::move(store).value());
}

}  // namespace signet::secretstore
