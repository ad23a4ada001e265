// ca-awspca: AWS Private CA as a certificate authority (docs/plugins/ca-awspca.md).
#include <cstdlib>

#include "awspca_ca.hpp"

namespace {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

signet::Result<std::unique_ptr<signet::CertificateAuthority>> make_ca(const signet::PluginContext& context) {
  auto config = signet::awspca::read_config(context.config, process_env);
  if (!config) return std::move(config).error();
  return std::unique_ptr<signet::CertificateAuthority>(
      std::make_unique<signet::awspca::AwsPrivateCa>(std::move(config).value(), context.services, process_env));
}

}  // namespace

// It revokes, answers Pending (the ARN is the ticket) and AWS publishes its
// CRL and OCSP. Not `local`: every certificate is made in AWS.
SIGNET_PLUGIN(signet::CertificateAuthority, "ca-awspca", "1.0.0", signet::awspca::kConfigSchema,
              SIGNET_CAP_CA_REVOKE | SIGNET_CAP_CA_PENDING | SIGNET_CAP_CA_PUBLISHES_STATUS, make_ca)
