// store-vault: a secret store in HashiCorp Vault's KV v2 engine, which
// also delivers each certificate bundle where applications and Vault Agent
// read it (docs/plugins/store-vault.md). Every call goes through the shared
// Vault client (common/vault): login, renewal, sealed and rate-limited waits.
#include <signet/sdk.hpp>
#include <vault/client.hpp>  // SIGNET_VAULT_CLIENT_SCHEMA

#include "paths.hpp"
#include "vault_store.hpp"

namespace {

using nlohmann::json;
using signet::Result;

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "vault": )json" SIGNET_VAULT_CLIENT_SCHEMA R"json(,
    "mount": {"type": "string", "minLength": 1, "maxLength": 256,
              "pattern": )json" SIGNET_VAULT_MOUNT_PATTERN R"json(,
              "description": "the path the KV version 2 engine is mounted at (default secret)"},
    "prefix": {"type": "string", "minLength": 1, "maxLength": 256,
               "pattern": )json" SIGNET_VAULT_MOUNT_PATTERN R"json(,
               "description": "where the host's own paths live under the mount (default signet)"},
    "list_method": {"enum": ["verb", "query"],
                    "description": "LIST as the HTTP verb (default) or GET with ?list=true, for proxies that refuse LIST"},
    "delivery": {
      "type": "object",
      "properties": {
        "path": {"type": "string",
                 "description": "KV path of each certificate bundle (default certs/{service}/{certificate_id}); \"\" turns delivery off"},
        "default_service": {"type": "string", "minLength": 1, "maxLength": 200,
                            "pattern": "^[A-Za-z0-9_.-]+$", "description": "{service} of certificates without one (default default)"},
        "custom_metadata": {"type": "boolean",
                            "description": "describe each bundle on the metadata/ endpoint too, when the policy allows (default true)"}
      },
      "additionalProperties": false
    }
  },
  "additionalProperties": false
})json";

signet::Error config_problem(const std::string& pointer, const std::string& message) {
  return signet::config_error("invalid store-vault configuration: " + message, pointer, message);
}

Result<signet::store_vault::StoreConfig> read_config(const json& config) {
  signet::store_vault::StoreConfig c;
  c.mount = config.value("mount", c.mount);
  c.prefix = config.value("prefix", c.prefix);
  c.list_method = config.value("list_method", "verb") == "query" ? signet::store_vault::ListMethod::query
                                                                : signet::store_vault::ListMethod::verb;
  const json delivery = config.value("delivery", json::object());
  c.delivery.path_template = delivery.value("path", c.delivery.path_template);
  c.delivery.default_service = delivery.value("default_service", c.delivery.default_service);
  c.delivery.custom_metadata = delivery.value("custom_metadata", true);
  c.delivery.reserved_prefix = c.prefix + "/";
  if (!c.delivery.path_template.empty())
    if (const auto problem = signet::store_vault::template_problem(c.delivery.path_template); !problem.empty())
      return config_problem("/delivery/path", problem);
  // The host's copies and the deliveries must not share paths.
  if (c.delivery.path_template.starts_with(c.prefix + "/"))
    return config_problem("/delivery/path", "deliveries cannot live under the store's prefix " + c.prefix + "/");
  return c;
}

Result<std::unique_ptr<signet::SecretStore>> make_store(const signet::PluginContext& context) {
  auto vault = signet::vault::read_client_config(context.config.value("vault", json::object()), "/vault");
  if (!vault) return std::move(vault).error();
  auto config = read_config(context.config);
  if (!config) return std::move(config).error();
  auto client = std::make_unique<signet::vault::Client>(std::move(vault).value(), context.services);
  return std::unique_ptr<signet::SecretStore>(
      std::make_unique<signet::store_vault::VaultStore>(std::move(client), std::move(config).value(), context.services));
}

}  // namespace

SIGNET_PLUGIN(signet::SecretStore, "store-vault", "1.0.0", kSchema, 0, make_store)
