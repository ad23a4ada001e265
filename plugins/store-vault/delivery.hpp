// A certificate bundle as Vault users read it: the KV v2 secret at the
// delivery path holds the fields of Vault's own PKI engine (certificate,
// private_key, private_key_type, issuing_ca, ca_chain, serial_number,
// expiration) under their names, so a Vault Agent template written for
// `pki/issue` needs only its path and KV v2's `.Data.data` in place of
// `.Data`, plus Signet's `metadata`. A renewal is a new version at the
// same path; a revocation, a version whose metadata says so.
#pragma once

#include <atomic>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/services.hpp>

#include "kv.hpp"

namespace signet::store_vault {

struct DeliveryConfig {
  std::string path_template = "certs/{service}/{certificate_id}";  // "" turns delivery off
  std::string default_service = "default";
  bool custom_metadata = true;  // also describe it on the metadata/ endpoint, when the policy allows
  std::string reserved_prefix;  // "<prefix>/": the store's own paths, never a delivery's
};

// Whether a put is a certificate bundle with its certificate (the host's
// version 1, the key alone, is not delivered: a template must never see a
// key without its certificate).
bool deliverable(const nlohmann::json& bundle, const nlohmann::json& metadata);

// The KV fields of a bundle; Error{invalid_argument} when it lacks the
// certificate or key or its key does not parse.
Result<nlohmann::json> delivery_fields(const nlohmann::json& bundle, const nlohmann::json& metadata);

class Delivery {
 public:
  Delivery(Kv& kv, DeliveryConfig config, Logger& logger) : kv_(kv), config_(std::move(config)), logger_(logger) {}

  // Writes the bundle to its delivery path with check-and-set, unless the
  // path holds it already (a rerun), holds a later certificate (a
  // revocation of a certificate already renewed), or holds nothing to mark
  // revoked. A secret Signet did not write there is refused, never
  // overwritten; so is a revoked delivery going back to issued.
  Result<void> deliver(const nlohmann::json& bundle, const nlohmann::json& metadata);

 private:
  Result<void> describe(const std::string& path, const nlohmann::json& fields);

  Kv& kv_;
  DeliveryConfig config_;
  Logger& logger_;
  std::atomic<bool> metadata_refused_{false};  // the policy grants data/ only: said once, not asked again
};

}  // namespace signet::store_vault
