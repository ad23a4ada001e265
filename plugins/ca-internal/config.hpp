// The instance configuration of ca-internal (docs/plugins/ca-internal.md).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/keys.hpp>

namespace signet::ca_internal {

struct NameConstraints {
  std::vector<std::string> permitted_dns, excluded_dns;  // "example.com" or ".example.com"
  std::vector<std::string> permitted_ip, excluded_ip;    // CIDR: "10.0.0.0/8"
  bool empty() const {
    return permitted_dns.empty() && excluded_dns.empty() && permitted_ip.empty() && excluded_ip.empty();
  }
};

struct CaCertificateConfig {
  std::string common_name;
  std::string organization;
  KeySpec key;
  std::chrono::hours validity{0};
  int path_length = -1;  // -1: no pathLenConstraint
};

struct Urls {
  std::string crl;         // CRL distribution point (RFC 5280 §4.2.1.13)
  std::string ocsp;        // AIA id-ad-ocsp (RFC 5280 §4.2.2.1)
  std::string ca_issuers;  // AIA id-ad-caIssuers
};

struct CaConfig {
  std::string instance;
  std::string keys;  // the `keys` instance holding every CA key
  std::string dir;   // certificates and state (no key material)
  bool bootstrap = true;
  CaCertificateConfig root;
  CaCertificateConfig issuing;
  NameConstraints name_constraints;
  Urls urls;
  std::chrono::seconds backdate{60};
  bool truncate_to_issuer = true;  // false: refuse a TTL past the issuer's notAfter
};

extern const char* const kConfigSchema;

// The schema has checked types; this fills defaults and reads the values.
CaConfig read_config(const std::string& instance, const nlohmann::json& config);

}  // namespace signet::ca_internal
