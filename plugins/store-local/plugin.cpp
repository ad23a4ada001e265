// store-local: the embedded, envelope-encrypted secret store
// (docs/plugins/store-local.md).
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <fsutil/files.hpp>
#include <secretstore/sql_secret_store.hpp>
#include <signet/sdk.hpp>
#include <soci/sqlite3/soci-sqlite3.h>

#include "master_key.hpp"

namespace {

using signet::ErrorCode;
using signet::Result;

// One source of a master key; the schema language has no $ref, so the
// fragment is spliced in twice.
#define SIGNET_MASTER_KEY_SCHEMA                                                                            \
  R"json({"type": "object", "additionalProperties": false, "properties": {)json"                              \
  R"json("file": {"type": "string", "minLength": 1, "description": "file (mode 0600) with a base64 32-byte key"},)json" \
  R"json("create": {"type": "boolean", "description": "make the file with a new random key if it is missing"},)json" \
  R"json("env": {"type": "string", "minLength": 1, "description": "environment variable with a base64 32-byte key"},)json" \
  R"json("keys": {"type": "string", "minLength": 1, "description": "a keys instance that wraps data keys"},)json" \
  R"json("key_id": {"type": "string", "minLength": 1, "description": "the key in that instance (made on first start)"}}})json"

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "path": {"type": "string", "minLength": 1, "description": "the SQLite file of the secrets (created 0600)"},
    "master_key": )json" SIGNET_MASTER_KEY_SCHEMA R"json(,
    "previous_master_keys": {"type": "array", "items": )json" SIGNET_MASTER_KEY_SCHEMA R"json(,
      "description": "master keys being rotated out: data keys they wrap are re-wrapped at start"}
  },
  "required": ["path", "master_key"],
  "additionalProperties": false
})json";

constexpr std::size_t kConnections = 4;

signet::Error config_problem(const std::string& pointer, const std::string& message) {
  signet::Error error = signet::make_error(ErrorCode::invalid_config, "invalid store-local configuration");
  error.problems.push_back({pointer, message});
  return error;
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

Result<std::shared_ptr<const signet::envelope::KeyRing>> key_ring(const signet::PluginContext& context) {
  auto current = signet::store_local::load_master_key(context.config.at("master_key"), "/master_key", context);
  if (!current) return std::move(current).error();
  std::vector<std::unique_ptr<signet::envelope::KeyEncryptionKey>> previous;
  const auto old = context.config.value("previous_master_keys", nlohmann::json::array());
  for (std::size_t i = 0; i < old.size(); ++i) {
    auto key = signet::store_local::load_master_key(old[i], "/previous_master_keys/" + std::to_string(i), context);
    if (!key) return std::move(key).error();
    previous.push_back(std::move(key).value());
  }
  return std::make_shared<const signet::envelope::KeyRing>(std::move(current).value(), std::move(previous));
}

Result<std::unique_ptr<signet::SecretStore>> make_store(const signet::PluginContext& context) {
  const std::string path = context.config.at("path").get<std::string>();
  if (auto created = create_private_file(path); !created) return config_problem("/path", created.error().message);
  auto ring = key_ring(context);
  if (!ring) return std::move(ring).error();
  std::unique_ptr<soci::connection_pool> pool;
  try {
    pool = open_sqlite(path);
  } catch (const std::exception& e) {
    return config_problem("/path", std::string("cannot open the secret database: ") + e.what());
  }
  auto store = signet::secretstore::SqlSecretStore::open(std::move(pool), signet::secretstore::Dialect::sqlite,
                                                         std::move(ring).value());
  if (!store) return std::move(store).error();
  // Rotation: whatever an older master key still wraps moves to the current one.
  auto rewrapped = store.value()->rewrap_all();
  if (!rewrapped) return std::move(rewrapped).error();
  if (rewrapped.value() > 0)
    context.services.logger().log(signet::LogLevel::info, "re-wrapped data keys under the current master key",
                                  {{"instance", context.instance_name}, {"count", rewrapped.value()}});
  return std::unique_ptr<signet::SecretStore>(std::move(store).value());
}

}  // namespace

SIGNET_PLUGIN(signet::SecretStore, "store-local", "1.0.0", kSchema, 0, make_store)
