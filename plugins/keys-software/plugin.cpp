// keys-software: the built-in key provider (docs/plugins/keys-software.md).
#include <signet/sdk.hpp>

#include <array>
#include <filesystem>

#include <fsutil/files.hpp>

#include "software_keys.hpp"

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "dir": {"type": "string", "minLength": 1, "description": "directory of the encrypted key files (created 0700)"},
    "passphrase": {"type": "string", "minLength": 16, "description": "encrypts every key file; use ${file:...} or ${env:...}"},
    "passphrase_file": {"type": "object", "properties": {
        "path": {"type": "string", "minLength": 1, "description": "a file (mode 0600) holding the passphrase"},
        "create": {"type": "boolean", "description": "on the first start, write a random passphrase there (default false)"}},
      "required": ["path"], "additionalProperties": false,
      "description": "instead of passphrase: the passphrase kept in a file of its own"}
  },
  "required": ["dir"],
  "additionalProperties": false
})json";

// passphrase_file: read the file (refused if others can read it), or make
// one of 32 random bytes in hex on the first start when create is set.
signet::Result<std::string> passphrase_from_file(const nlohmann::json& spec, signet::SecureRandom& random) {
  const std::string path = spec.at("path").get<std::string>();
  if (spec.value("create", false) && !std::filesystem::exists(path)) {
    std::array<std::uint8_t, 32> bytes{};
    random.fill(bytes);
    std::string hex;
    for (const auto b : bytes) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
    if (auto written = signet::fsutil::write_file_atomically(path, hex + "\n", 0600); !written)
      return signet::config_error("cannot create the passphrase file", "/passphrase_file/path", written.error().message);
  }
  auto text = signet::fsutil::read_private_file(path);
  if (!text) return signet::config_error("cannot read the passphrase file", "/passphrase_file/path", text.error().message);
  std::string passphrase = text.value();
  while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r')) passphrase.pop_back();
  if (passphrase.size() < 16)
    return signet::config_error("the passphrase is too short", "/passphrase_file/path", path + " holds fewer than 16 characters");
  return passphrase;
}

signet::Result<std::unique_ptr<signet::KeyProvider>> make_keys(const signet::PluginContext& context) {
  const std::string dir = context.config.at("dir").get<std::string>();
  if (auto made = signet::fsutil::make_private_directory(dir); !made) {
    return signet::config_error("cannot use the key directory", "/dir", made.error().message);
  }
  const bool inline_passphrase = context.config.contains("passphrase");
  if (inline_passphrase == context.config.contains("passphrase_file"))
    return signet::config_error("give the passphrase one way", "", "set exactly one of passphrase and passphrase_file");
  auto passphrase = inline_passphrase ? signet::Result<std::string>(context.config.at("passphrase").get<std::string>())
                                      : passphrase_from_file(context.config.at("passphrase_file"), context.services.random());
  if (!passphrase) return std::move(passphrase).error();
  return std::unique_ptr<signet::KeyProvider>(std::make_unique<signet::keys_software::SoftwareKeys>(
      dir, std::move(passphrase).value(), context.services.random()));
}

}  // namespace

SIGNET_PLUGIN(signet::KeyProvider, "keys-software", "1.0.0", kSchema,
              SIGNET_CAP_KEYS_WRAP | SIGNET_CAP_KEYS_RSA | SIGNET_CAP_KEYS_EC | SIGNET_CAP_KEYS_ED25519 |
                  SIGNET_CAP_KEYS_IMPORT,
              make_keys)
