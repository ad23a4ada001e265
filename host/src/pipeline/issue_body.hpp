// The JSON body of a certificate request, read into the host's types: what
// POST /v1/certificates takes and what an intake source offers
// (signet/intake.hpp), read by the same rules. Every refusal is a HostError
// naming the field; no input throws.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/policy.hpp"
#include "util/host_error.hpp"

namespace signet::host {

// Names, ttl, metadata, and a csr or a key spec.
std::optional<HostError> read_issue_body(const nlohmann::json& body, IssueInput& in, nlohmann::json& metadata,
                                        std::string& csr_text);
// "auto_renew" and "not_after_use" of an issue body.
std::optional<HostError> read_lifecycle_fields(const nlohmann::json& body, IssueInput& in);
// The key material of an issue or renew body: a CSR, or what the host
// should generate ({"type", "bits", "curve"}; absent: the profile's default).
std::optional<HostError> read_key_source(const nlohmann::json& body, IssueInput& in, std::string& csr_text);
// "external_ref": {"system", "id", "number"}: the record of another system
// (a ServiceNow RITM) the request answers; `ref` stays null without one.
std::optional<HostError> read_external_ref(const nlohmann::json& body, nlohmann::json& ref);
// A list of strings at `key` (absent or null: nothing); `where` prefixes the key in messages ("sans.").
std::optional<HostError> read_string_list(const nlohmann::json& j, const char* key, std::vector<std::string>& out,
                                         const std::string& where = "sans.");

}  // namespace signet::host
