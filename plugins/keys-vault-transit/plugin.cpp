// keys-vault-transit: CA, OCSP-signer and wrapping keys inside HashiCorp
// Vault's Transit secrets engine, reached through the shared Vault client
// (docs/plugins/keys-vault-transit.md). Keys are made non-exportable and
// never leave Vault. No import: Transit's BYOK import needs its own
// wrapping-key flow, which this plugin does not offer.
#include <signet/sdk.hpp>
#include <vault/client.hpp>  // SIGNET_VAULT_CLIENT_SCHEMA

#include "transit_keys.hpp"

namespace {

using signet::Result;

// A mount path's segments may not start with '.': no "." or ".." in URLs.
constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "vault": )json" SIGNET_VAULT_CLIENT_SCHEMA R"json(,
    "mount": {"type": "string", "minLength": 1, "maxLength": 256,
              "pattern": )json" SIGNET_VAULT_MOUNT_PATTERN R"json(,
              "default": "transit",
              "description": "the path the Transit secrets engine is mounted at (default transit)"}
  },
  "additionalProperties": false
})json";

Result<std::unique_ptr<signet::KeyProvider>> make_keys(const signet::PluginContext& context) {
  // Its error is invalid_config with one problem per setting, under /vault.
  auto vault = signet::vault::read_client_config(context.config.value("vault", nlohmann::json::object()), "/vault");
  if (!vault) return std::move(vault).error();
  auto client = std::make_unique<signet::vault::Client>(std::move(vault).value(), context.services);
  return std::unique_ptr<signet::KeyProvider>(std::make_unique<signet::keys_vault_transit::TransitKeys>(
      std::move(client), context.config.value("mount", std::string("transit")), context.services));
}

}  // namespace

SIGNET_PLUGIN(signet::KeyProvider, "keys-vault-transit", "1.0.0", kSchema,
              SIGNET_CAP_KEYS_WRAP | SIGNET_CAP_KEYS_RSA | SIGNET_CAP_KEYS_EC | SIGNET_CAP_KEYS_ED25519, make_keys)
