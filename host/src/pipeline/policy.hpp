// Profile policy: whether a certificate request may be issued under a
// profile (docs/configuration.md, "profiles").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include <pkix/csr.hpp>

namespace signet::host {

using pkix::CsrInfo;
using pkix::parse_csr;
using pkix::Rejection;

struct IssueInput {
  std::string profile;
  std::string common_name;
  std::vector<std::string> dns, ip, email, uri;
  std::chrono::milliseconds ttl{0};  // 0: the profile's default
  std::optional<CsrInfo> csr;
  // The key to generate on the server when there is no CSR; empty fields are
  // filled from the profile's first matching key rule.
  std::string key_type;
  int key_bits = 0;
  std::string key_curve;
  // Lifecycle: absent auto_renew takes the profile's auto_renew.enabled; an
  // end of use must lie in the future (checked by check_policy).
  std::optional<bool> auto_renew;
  std::optional<std::chrono::system_clock::time_point> not_after_use;
};

// Checks a request against a profile and returns the first problem as a
// Rejection with an API error code: csr_mismatch, ttl_too_short,
// ttl_too_long, common_name_required, invalid_san, wildcard_not_allowed,
// san_not_allowed, key_not_allowed.
//
// The input is normalised on the way, so what is checked is what gets issued:
// the CSR's common name and SANs are merged in and its key copied to
// key_type/key_bits/key_curve, a zero TTL becomes the profile default, DNS
// names (and the domains of email addresses) are lower-cased, IP addresses
// take their canonical text form, and duplicates are removed.
std::optional<Rejection> check_policy(const ProfileConfig& profile, IssueInput& input);

// Names this process's run (and so its configuration, which a process
// never changes). A request whose policy was checked at acceptance under
// the same epoch needs no second check in its pipeline; after a restart,
// which may bring another configuration, it is checked again.
const std::string& policy_epoch();

}  // namespace signet::host
