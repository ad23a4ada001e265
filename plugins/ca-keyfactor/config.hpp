// The ca-keyfactor instance config: which API (Keyfactor Command or EJBCA
// REST v1), where, how to authenticate, and what to enrol with
// (docs/plugins/ca-keyfactor.md).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>

namespace signet::keyfactor {

extern const char* const kConfigSchema;

enum class Api { command, ejbca };
enum class AuthType { basic, oauth, client_certificate };

struct AuthConfig {
  AuthType type = AuthType::basic;
  std::string username, password;             // basic ("DOMAIN\\user" for Command)
  std::string token_url, client_id, client_secret, scope, audience;  // oauth (client credentials)
  std::string ca_file;  // oauth: PEM bundle for the token endpoint; "" the system store
};

struct CommandConfig {
  std::string certificate_authority;  // "host\\logical name" or the logical name
  std::string template_name;
  std::map<std::string, std::string> profile_templates;  // Signet profile → template
  std::string api_version = "1";
  // How long the template's certificates live: a request asking for less
  // is refused (Command's CSR enrolment takes no lifetime). 0: unknown.
  std::chrono::seconds template_validity{0};
  std::string request_id_field = "SignetRequestId";     // Command metadata field for Signet's request id
  std::map<std::string, std::string> metadata_fields;    // request metadata key → Command metadata field
};

struct EjbcaProfiles {
  std::string certificate_profile, end_entity_profile;
};

struct EjbcaConfig {
  std::string ca_name;
  EjbcaProfiles profiles;                          // the default
  std::map<std::string, EjbcaProfiles> by_profile;  // Signet profile → EJBCA profiles
  std::string username_prefix = "signet-";
};

struct KeyfactorConfig {
  Api api = Api::command;
  std::string base_url;  // scheme, host, port and the API's base path, no trailing slash
  HttpOptions http;      // timeout, ca_file, client certificate
  AuthConfig auth;
  CommandConfig command;
  EjbcaConfig ejbca;
  std::string chain_file;  // PEM: the CA chain, when the API cannot tell it before the first issuance
  std::string crl_url, ocsp_url;  // where the CA publishes status, for certificates' extensions
  std::chrono::seconds health_interval{60};
  std::chrono::seconds poll_interval{30};  // a pending enrolment is asked about again after this
};

// Error{invalid_config} with the JSON pointer of each problem.
Result<KeyfactorConfig> read_config(const nlohmann::json& config);

}  // namespace signet::keyfactor
