// keys-pkcs11: CA, OCSP-signer and wrapping keys inside a PKCS#11 token
// (an HSM; SoftHSM2 in the tests) (docs/plugins/keys-pkcs11.md). Every
// misconfiguration fails here, at start, with a one-line reason: a module
// that does not load, a token that is not there, a PIN it refuses.
#include <signet/sdk.hpp>

#include "pkcs11_keys.hpp"

namespace {

using signet::ErrorCode;
using signet::Result;

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "module": {"type": "string", "minLength": 1,
               "description": "path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so"},
    "token": {"type": "string", "minLength": 1, "maxLength": 32, "description": "the token's label"},
    "slot": {"type": "integer", "minimum": 0, "description": "the slot id, instead of the token's label"},
    "pin": {"type": "string", "minLength": 4, "description": "the user PIN; use ${env:...} or ${file:...}"},
    "sessions": {"type": "integer", "minimum": 1, "maximum": 64,
                 "description": "sessions open at most, one per signature in flight (default 8)"},
    "oaep_hash": {"enum": ["sha256", "sha1"],
                  "description": "hash of RSA-OAEP for wrapped master keys (default sha256; SoftHSM2 supports only sha1)"}
  },
  "required": ["module", "pin"],
  "additionalProperties": false
})json";

signet::Error config_problem(const std::string& pointer, const std::string& message) {
  return signet::config_error("invalid keys-pkcs11 configuration: " + message, pointer, message);
}

Result<std::unique_ptr<signet::KeyProvider>> make_keys(const signet::PluginContext& context) {
  const auto& config = context.config;
  if (config.contains("token") == config.contains("slot"))
    return config_problem("", "name the token by exactly one of `token` (its label) and `slot`");
  auto module = signet::keys_pkcs11::Module::load(config.at("module").get<std::string>());
  if (!module) return config_problem("/module", module.error().message);
  signet::keys_pkcs11::TokenConfig token_config;
  if (config.contains("token"))
    token_config.label = config.at("token").get<std::string>();
  else
    token_config.slot = config.at("slot").get<CK_SLOT_ID>();
  token_config.pin = config.at("pin").get<std::string>();
  token_config.max_sessions = config.value("sessions", std::size_t{8});
  using OaepHash = signet::keys_pkcs11::Pkcs11Keys::OaepHash;
  const OaepHash oaep = config.value("oaep_hash", std::string("sha256")) == "sha1" ? OaepHash::sha1 : OaepHash::sha256;
  auto token = signet::keys_pkcs11::Token::open(std::move(module).value(), std::move(token_config));
  if (!token) return config_problem(config.contains("token") ? "/token" : "/slot", token.error().message);
  token.value()->set_logger(&context.services.logger());
  return std::unique_ptr<signet::KeyProvider>(
      std::make_unique<signet::keys_pkcs11::Pkcs11Keys>(std::move(token).value(), context.services.random(), oaep));
}

}  // namespace

SIGNET_PLUGIN(signet::KeyProvider, "keys-pkcs11", "1.0.0", kSchema,
              SIGNET_CAP_KEYS_WRAP | SIGNET_CAP_KEYS_RSA | SIGNET_CAP_KEYS_EC, make_keys)
