// The ca-awspca instance config, its endpoints resolved the way the AWS
// CLI resolves them (docs/plugins/ca-awspca.md, "Endpoints").
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>

#include "credentials.hpp"

namespace signet::awspca {

extern const char* const kConfigSchema;

struct AwspcaConfig {
  std::string ca_arn;
  std::string partition;   // "aws", "aws-cn", "aws-us-gov"
  std::string region;
  std::string ca_id;       // the UUID at the end of the ARN
  std::string endpoint;    // ACM-PCA, no trailing slash
  std::string sts_endpoint;
  std::string ca_file;     // PEM bundle for both; "" = the system store
  std::string proxy;       // "http://host:port" for both; "" = none
  std::string template_name;                       // "EndEntityServerAuthCertificate/V1", or an ARN's name
  std::string template_arn;
  std::map<std::string, std::string> profile_templates;  // Signet profile → template name
  std::string signing_algorithm;                   // "" = the CA's own
  CredentialSettings credentials;
  int requests_per_second = 20;
  std::chrono::seconds timeout{10};
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// Error{invalid_config} with the JSON pointer of each problem.
Result<AwspcaConfig> read_config(const nlohmann::json& config, const Getenv& getenv);

}  // namespace signet::awspca
