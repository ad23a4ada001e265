// store-postgres: versioned secrets with check-and-set in a PostgreSQL
// database, envelope-encrypted exactly as store-local does it (the same
// SqlSecretStore and master keys from common/secretstore)
// (docs/plugins/store-postgres.md).
#include <secretstore/master_key.hpp>  // SIGNET_MASTER_KEY_PROPERTIES
#include <secretstore/sql_secret_store.hpp>
#include <signet/sdk.hpp>
#include <sql/postgres.hpp>

namespace {

using signet::ErrorCode;
using signet::Result;

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "url": {"type": "string", "minLength": 1,
            "description": "postgresql://user:password@host:port/database?sslmode=verify-full (password through ${file:} or ${env:})"},
    "connections": {"type": "integer", "minimum": 1, "maximum": 64, "description": "pool size (default 4)"},
    )json" SIGNET_MASTER_KEY_PROPERTIES R"json(
  },
  "required": ["url", "master_key"],
  "additionalProperties": false
})json";

signet::Error config_problem(const std::string& pointer, const std::string& message) {
  return signet::config_error("invalid store-postgres configuration", pointer, message);
}

// libpq's messages name the host and user, never the password.
std::unique_ptr<soci::connection_pool> open_pool(const std::string& url, std::size_t size) {
  auto pool = std::make_unique<soci::connection_pool>(size);
  for (std::size_t i = 0; i < size; ++i) signet::sql::open_postgres(pool->at(i), url);
  return pool;
}

Result<std::unique_ptr<signet::SecretStore>> make_store(const signet::PluginContext& context) {
  const std::string url = context.config.at("url").get<std::string>();
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0)
    return config_problem("/url", "must be a postgresql:// URL");
  std::unique_ptr<soci::connection_pool> pool;
  try {
    pool = open_pool(url, static_cast<std::size_t>(context.config.value("connections", 4)));
  } catch (const std::exception& e) {
    return config_problem("/url", std::string("cannot connect: ") + e.what());
  }
  return signet::secretstore::open_store_instance(std::move(pool), signet::secretstore::Dialect::postgresql, context);
}

}  // namespace

SIGNET_PLUGIN(signet::SecretStore, "store-postgres", "1.0.0", kSchema, 0, make_store)
