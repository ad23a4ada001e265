// The persisted input of an issue or renew request (requests.input): what
// the API accepted, read back by the pipeline's steps. One shape, one place.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::host {

struct IssueRequest {
  std::string profile;
  std::string common_name;
  std::vector<std::string> dns, ip, email, uri;
  std::chrono::milliseconds ttl{0};      // 0: the profile's default
  std::chrono::milliseconds max_ttl{0};  // the profile's, at acceptance
  std::string csr;  // empty: the host makes the key described below
  std::string key_type;  // "rsa", "ecdsa", "ed25519"
  int key_bits = 0;
  std::string key_curve;
  std::vector<std::string> key_usage, extended_key_usage;
  nlohmann::json metadata = nlohmann::json::object();
  std::string renews;  // renewals: the certificate this one replaces
  std::string service;  // the application the certificate belongs to (`_own` permissions); may be empty
  bool auto_renew = false;  // the renewal scheduler renews it (docs/lifecycle.md)
  std::optional<std::chrono::system_clock::time_point> not_after_use;  // revoked then (cessation of operation)
  // The record of another system this request answers: {system, id, number}; null when none.
  nlohmann::json external_ref = nullptr;
  std::string lineage;  // renewals: the first certificate of the chain; empty otherwise
};

nlohmann::json to_json(const IssueRequest& request);
IssueRequest issue_request_from(const nlohmann::json& input);

// Where a key made on the server and its bundle live in the pipeline's store:
// version 1 holds the key alone (written before signing, so no certificate
// can exist whose key was lost), version 2 adds the certificate and chain.
std::string bundle_path(const std::string& tenant_id, const std::string& certificate_id);

}  // namespace signet::host
