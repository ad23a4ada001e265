// The persisted input of a revoke request: the certificates to revoke
// (one, or every active one of the tenant that shares a compromised key)
// and the RFC 5280 reason.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/ca.hpp>

#include "util/time.hpp"

namespace signet::host {

struct RevokeTarget {
  std::string id, ca, serial, certificate_pem;
  std::string service;  // the application it belongs to, for its notifications
  nlohmann::json external_ref = nullptr;  // the ticket its issuing request answered, for its notifications
  std::string key_store, key_path;  // where its bundle is kept, when the host made its key
};

struct RevokeInput {
  std::vector<RevokeTarget> targets;  // the certificate named in the URL first
  std::string reason;                 // a name from revocation_reason_names()
  std::optional<TimePoint> invalidity_date;  // RFC 5280 §5.3.2
};

nlohmann::json to_json(const RevokeInput& input);
RevokeInput revoke_input_from(const nlohmann::json& input);

// RFC 5280 §5.3.1 reasons by their API names (key_compromise, ...).
std::optional<RevocationReason> revocation_reason_from(const std::string& name);
const std::vector<std::string>& revocation_reason_names();

}  // namespace signet::host
