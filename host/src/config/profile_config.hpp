// A certificate profile (profiles.<name>, docs/configuration.md): the names,
// keys, lifetimes and usages a request of it may have, and who approves it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace signet::host {

using std::chrono::milliseconds;

struct KeyTypeRule {
  std::string type;                 // rsa, ecdsa, ed25519
  int min_bits = 2048, max_bits = 4096;
  std::vector<std::string> curves;  // P-256, P-384
};

// profiles.<name>.approval (docs/approvals.md): who must agree before a
// request of the profile runs.
struct ApprovalConfig {
  bool required = false;
  std::vector<std::string> approvers;  // roles whose holders may decide; empty: any holder of request:approve
  int min_approvals = 1;
  bool self_approval = false;
  std::string from;  // an outside system whose approval counts instead ("servicenow")
  milliseconds expires_after{7LL * 24 * 3600 * 1000};
  bool needed() const { return required || !from.empty(); }
};

struct ProfileConfig {
  std::string name;
  std::vector<KeyTypeRule> key_types;
  milliseconds min_ttl{10'000};
  milliseconds max_ttl{90LL * 24 * 3600 * 1000};
  milliseconds default_ttl{30LL * 24 * 3600 * 1000};
  bool require_common_name = false;
  std::vector<std::string> dns_suffixes;   // ".example.com" or an exact "localhost"
  std::vector<std::string> dns_patterns;   // ECMAScript regular expressions
  bool allow_wildcard = false;
  bool allow_ip = false;
  bool allow_email = false;
  bool allow_uri = false;
  std::vector<std::string> key_usage;
  std::vector<std::string> extended_key_usage;
  bool auto_renew = false;
  int renew_before_days = 30;
  ApprovalConfig approval;
  int line = 0;
};

}  // namespace signet::host
