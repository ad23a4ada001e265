// The persisted input of an issue or renew request (requests.input): what
// the API accepted, read back by the pipeline's steps. One shape, one place.
#pragma once

#include <chrono>
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
  std::string csr;
  std::vector<std::string> key_usage, extended_key_usage;
  nlohmann::json metadata = nlohmann::json::object();
};

nlohmann::json to_json(const IssueRequest& request);
IssueRequest issue_request_from(const nlohmann::json& input);

}  // namespace signet::host
