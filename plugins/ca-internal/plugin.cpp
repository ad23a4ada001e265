// ca-internal: the descriptor and factory (docs/plugins/ca-internal.md).
#include <signet/sdk.hpp>

#include "config.hpp"
#include "internal_ca.hpp"

namespace {

using namespace signet;

Error config_problem(const std::string& pointer, const std::string& message) {
  return config_error("invalid ca-internal configuration", pointer, message);
}

Result<std::unique_ptr<CertificateAuthority>> make_ca(const PluginContext& context) {
  ca_internal::CaConfig config = ca_internal::read_config(context.instance_name, context.config);
  auto keys = context.services.key_provider(config.keys);
  if (!keys) return config_problem("/keys", keys.error().message);
  if (auto urls = ca_internal::url_extensions(config.urls); !urls) return config_problem("/urls", urls.error().message);
  return std::unique_ptr<CertificateAuthority>(
      std::make_unique<ca_internal::InternalCa>(std::move(config), std::move(keys).value(), context.services));
}

}  // namespace

SIGNET_PLUGIN(signet::CertificateAuthority, "ca-internal", "1.0.0", signet::ca_internal::kConfigSchema,
              SIGNET_CAP_CA_MANAGE | SIGNET_CAP_CA_REVOKE | SIGNET_CAP_CA_LOCAL | SIGNET_CAP_CA_CRL |
                  SIGNET_CAP_CA_OCSP,
              make_ca)
