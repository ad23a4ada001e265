#include "config.hpp"

namespace signet::ca_internal {

const char* const kConfigSchema = R"json({
  "type": "object",
  "properties": {
    "keys": {"type": "string", "minLength": 1, "description": "the keys instance that holds the CA keys"},
    "dir": {"type": "string", "minLength": 1, "description": "where the CA certificates and state live"},
    "bootstrap": {"type": "boolean", "default": true},
    "root": {"type": "object", "properties": {
      "common_name": {"type": "string", "minLength": 1, "default": "Signet Root CA"},
      "organization": {"type": "string", "default": ""},
      "key": {"type": "object", "properties": {
        "type": {"type": "string", "enum": ["rsa", "ecdsa", "ed25519"], "default": "ecdsa"},
        "bits": {"type": "integer", "enum": [2048, 3072, 4096], "default": 4096},
        "curve": {"type": "string", "enum": ["P-256", "P-384"], "default": "P-384"}}},
      "validity_days": {"type": "integer", "minimum": 1, "maximum": 36500, "default": 3650},
      "path_length": {"type": "integer", "minimum": 0, "maximum": 8, "default": 1}}},
    "issuing": {"type": "object", "properties": {
      "common_name": {"type": "string", "minLength": 1, "default": "Signet Issuing CA"},
      "organization": {"type": "string", "default": ""},
      "key": {"type": "object", "properties": {
        "type": {"type": "string", "enum": ["rsa", "ecdsa", "ed25519"], "default": "ecdsa"},
        "bits": {"type": "integer", "enum": [2048, 3072, 4096], "default": 2048},
        "curve": {"type": "string", "enum": ["P-256", "P-384"], "default": "P-256"}}},
      "validity_days": {"type": "integer", "minimum": 1, "maximum": 36500, "default": 1825}}},
    "name_constraints": {"type": "object", "properties": {
      "permitted_dns": {"type": "array", "items": {"type": "string", "minLength": 1}},
      "excluded_dns": {"type": "array", "items": {"type": "string", "minLength": 1}},
      "permitted_ip": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-fA-F:.]+/[0-9]+$"}},
      "excluded_ip": {"type": "array", "items": {"type": "string", "pattern": "^[0-9a-fA-F:.]+/[0-9]+$"}}}},
    "urls": {"type": "object", "properties": {
      "crl": {"type": "string", "pattern": "^https?://"},
      "ocsp": {"type": "string", "pattern": "^https?://"},
      "ca_issuers": {"type": "string", "pattern": "^https?://"}}},
    "backdate_seconds": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 60},
    "leaf_not_after": {"type": "string", "enum": ["truncate", "error"], "default": "truncate"}
  },
  "required": ["keys", "dir"],
  "additionalProperties": false
})json";

namespace {

using nlohmann::json;

std::vector<std::string> strings(const json& j, const char* key) {
  return j.contains(key) ? j.at(key).get<std::vector<std::string>>() : std::vector<std::string>{};
}

KeySpec key_spec(const json& key) {
  KeySpec spec;
  const std::string type = key.value("type", "ecdsa");
  spec.type = type == "rsa" ? KeyType::rsa : type == "ed25519" ? KeyType::ed25519 : KeyType::ec;
  spec.bits = key.value("bits", 2048);
  spec.curve = key.value("curve", "P-256");
  return spec;
}

CaCertificateConfig ca_certificate(const json& j, const char* default_cn, const char* default_curve, int path_length,
                                   int default_days) {
  CaCertificateConfig c;
  c.common_name = j.value("common_name", default_cn);
  c.organization = j.value("organization", "");
  json key = j.value("key", json::object());
  if (!key.contains("curve")) key["curve"] = default_curve;
  c.key = key_spec(key);
  c.validity = std::chrono::hours(24) * j.value("validity_days", default_days);
  c.path_length = j.value("path_length", path_length);
  return c;
}

}  // namespace

CaConfig read_config(const std::string& instance, const json& config) {
  CaConfig c;
  c.instance = instance;
  c.keys = config.at("keys").get<std::string>();
  c.dir = config.at("dir").get<std::string>();
  c.bootstrap = config.value("bootstrap", true);
  c.root = ca_certificate(config.value("root", json::object()), "Signet Root CA", "P-384", 1, 3650);
  c.issuing = ca_certificate(config.value("issuing", json::object()), "Signet Issuing CA", "P-256", 0, 1825);
  const json nc = config.value("name_constraints", json::object());
  c.name_constraints = {strings(nc, "permitted_dns"), strings(nc, "excluded_dns"), strings(nc, "permitted_ip"),
                        strings(nc, "excluded_ip")};
  const json urls = config.value("urls", json::object());
  c.urls = {urls.value("crl", ""), urls.value("ocsp", ""), urls.value("ca_issuers", "")};
  c.backdate = std::chrono::seconds(config.value("backdate_seconds", 60));
  c.truncate_to_issuer = config.value("leaf_not_after", "truncate") == "truncate";
  return c;
}

}  // namespace signet::ca_internal
