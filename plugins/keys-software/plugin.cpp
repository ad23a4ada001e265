// keys-software: the built-in key provider (docs/plugins/keys-software.md).
#include <signet/sdk.hpp>

#include <fsutil/files.hpp>

#include "software_keys.hpp"

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "dir": {"type": "string", "minLength": 1, "description": "directory of the encrypted key files (created 0700)"},
    "passphrase": {"type": "string", "minLength": 16, "description": "encrypts every key file; use ${file:...} or ${env:...}"}
  },
  "required": ["dir", "passphrase"],
  "additionalProperties": false
})json";

signet::Result<std::unique_ptr<signet::KeyProvider>> make_keys(const signet::PluginContext& context) {
  const std::string dir = context.config.at("dir").get<std::string>();
  if (auto made = signet::fsutil::make_private_directory(dir); !made) {
    return signet::config_error("cannot use the key directory", "/dir", made.error().message);
  }
  return std::unique_ptr<signet::KeyProvider>(std::make_unique<signet::keys_software::SoftwareKeys>(
      dir, context.config.at("passphrase").get<std::string>(), context.services.random()));
}

}  // namespace

SIGNET_PLUGIN(signet::KeyProvider, "keys-software", "1.0.0", kSchema,
              SIGNET_CAP_KEYS_WRAP | SIGNET_CAP_KEYS_RSA | SIGNET_CAP_KEYS_EC | SIGNET_CAP_KEYS_ED25519 |
                  SIGNET_CAP_KEYS_IMPORT,
              make_keys)
