// store-local: the embedded, envelope-encrypted secret store
// (docs/plugins/store-local.md).
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <fsutil/files.hpp>
#include <secretstore/master_key.hpp>  // SIGNET_MASTER_KEY_PROPERTIES
#include <secretstore/sql_secret_store.hpp>
#include <signet/sdk.hpp>
#include <soci/sqlite3/soci-sqlite3.h>


namespace {

using signet::ErrorCode;
using signet::Result;

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "path": {"type": "string", "minLength": 1, "description": "the SQLite file of the secrets (created 0600)"},
    )json" SIGNET_MASTER_KEY_PROPERTIES R"json(
  },
  "required": ["path", "master_key"],
  "additionalProperties": false
})json";

constexpr std::size_t kConnections = 4;

signet::Error config_problem(const std::string& pointer, const std::string& message) {
  return signet::config_error("invalid store-local configuration", pointer, message);
}

// SQLite gives its -wal and -shm files the main file's mode: creating the
// main file 0600 first keeps all three private.
Result<void> create_private_file(const std::string& path) {
  const std::filesystem::path file(path);
  if (file.has_parent_path())
    if (auto made = signet::fsutil::make_private_directory(file.parent_path().string()); !made) return made;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return signet::make_error(ErrorCode::unavailable, "cannot create " + path);
  ::close(fd);
  return {};
}

std::unique_ptr<soci::connection_pool> open_sqlite(const std::string& path) {
  auto pool = std::make_unique<soci::connection_pool>(kConnections);
  for (std::size_t i = 0; i < kConnections; ++i) {
    soci::session& s = pool->at(i);
    s.open(*soci::factory_sqlite3(), "db=\"" + path + "\" timeout=10 shared_cache=false");
    s << "PRAGMA journal_mode=WAL";
    s << "PRAGMA synchronous=FULL";     // a put that returned survives power loss
    s << "PRAGMA secure_delete=ON";     // destroyed data is overwritten, not just unlinked
    s << "PRAGMA busy_timeout=10000";
    s << "PRAGMA case_sensitive_like=ON";  // list(prefix) matches case as PostgreSQL does
  }
  return pool;
}

Result<std::unique_ptr<signet::SecretStore>> make_store(const signet::PluginContext& context) {
  const std::string path = context.config.at("path").get<std::string>();
  if (auto created = create_private_file(path); !created) return config_problem("/path", created.error().message);
  std::unique_ptr<soci::connection_pool> pool;
  try {
    pool = open_sqlite(path);
  } catch (const std::exception& e) {
    return config_problem("/path", std::string("cannot open the secret database: ") + e.what());
  }
  return signet::secretstore::open_store_instance(std::move(pool), signet::secretstore::Dialect::sqlite, context);
}

}  // namespace

SIGNET_PLUGIN(signet::SecretStore, "store-local", "1.0.0", kSchema, 0, make_store)
