// The JSON bodies (and paging parameters) of the API, read into the host's types.
// Every refusal is an HostError naming the field; no input throws. Kept
// apart from the handlers so the fuzz targets (tests/fuzz) reach them.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rbac/roles.hpp"
#include "auth/approles.hpp"
#include "auth/tokens.hpp"
#include "http/errors.hpp"
#include "pipeline/issue_body.hpp"
#include "pipeline/policy.hpp"
#include "util/time.hpp"

namespace signet::host {

// POST /v1/certificates: pipeline/issue_body.hpp (intake reads the same bodies).
// POST /v1/certificates/{id}/revoke: {"reason", "all_with_same_key",
// "invalidity_date"}; an empty body means reason unspecified.
struct RevokeBody {
  std::string reason = "unspecified";
  bool all_with_same_key = false;
  // When the key is known or suspected to have been compromised (RFC 5280
  // §5.3.2): RFC 3339, not in the future.
  std::optional<TimePoint> invalidity_date;
};
std::optional<HostError> read_revoke_body(const std::string& text, RevokeBody& out);

// POST /v1/tokens: {"roles", "ttl", "service", "description",
// "allowed_networks"} ("tenant" is the handler's). Roles must exist and be
// `within` the caller's own (else permission_denied); a role with `_own`
// grants needs a service.
std::optional<HostError> read_token_body(const nlohmann::json& body, const Roles& roles,
                                        const std::vector<std::string>& caller_roles, TokenSpec& spec);

// POST /v1/auth/approles: {"name", "roles", "service", "token_ttl",
// "secret_id_ttl", "secret_id_num_uses"} ("tenant" is the handler's), with
// the same rules for roles and service as a token.
std::optional<HostError> read_approle_body(const nlohmann::json& body, const Roles& roles,
                                          const std::vector<std::string>& caller_roles, AppRole& role);

// ?limit=1..1000 (absent: `limit` stays as given).
std::optional<HostError> read_limit(const std::string& text, int& limit);

}  // namespace signet::host
