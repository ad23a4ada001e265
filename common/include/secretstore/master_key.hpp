// Where a secret store's master key comes from: a file (mode 0600), an
// environment variable, or a key inside a `keys` instance; shared by
// store-local and store-postgres, whose configs take the same
// `master_key` and `previous_master_keys`.
#pragma once

#include <memory>
#include <string>

#include <envelope/envelope.hpp>
#include <signet/plugin.hpp>

namespace signet::secretstore {

// The JSON Schema of one master key source; the schema language has no
// $ref, so a plugin's schema splices it in where it is needed.
#define SIGNET_MASTER_KEY_SCHEMA                                                                                         \
  R"json({"type": "object", "additionalProperties": false, "properties": {)json"                                           \
  R"json("file": {"type": "string", "minLength": 1, "description": "file (mode 0600) with a base64 32-byte key"},)json"      \
  R"json("create": {"type": "boolean", "description": "make the file with a new random key if it is missing"},)json"        \
  R"json("env": {"type": "string", "minLength": 1, "description": "environment variable with a base64 32-byte key"},)json" \
  R"json("keys": {"type": "string", "minLength": 1, "description": "a keys instance that wraps data keys"},)json"            \
  R"json("key_id": {"type": "string", "minLength": 1, "description": "the key in that instance (made on first start)"}}})json"

// The two properties every store plugin's schema has: `master_key` and
// `previous_master_keys` (being rotated out; re-wrapped at start).
#define SIGNET_MASTER_KEY_PROPERTIES                                                              \
  R"json("master_key": )json" SIGNET_MASTER_KEY_SCHEMA R"json(, )json"                            \
  R"json("previous_master_keys": {"type": "array", "items": )json" SIGNET_MASTER_KEY_SCHEMA        \
  R"json(, "description": "master keys being rotated out: data keys they wrap are re-wrapped at start"})json"

// `spec` is one entry of master_key / previous_master_keys; `pointer` its
// JSON pointer, used in the problems of an invalid_config error.
Result<std::unique_ptr<envelope::KeyEncryptionKey>> load_master_key(const nlohmann::json& spec,
                                                                     const std::string& pointer,
                                                                     const PluginContext& context);

// The ring of an instance's config: `master_key` current, `previous_master_keys` being rotated out.
Result<std::shared_ptr<const envelope::KeyRing>> key_ring(const PluginContext& context);

}  // namespace signet::secretstore
