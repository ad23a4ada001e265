// ca-keyfactor: Keyfactor Command or EJBCA (REST API v1) as a certificate
// authority (docs/plugins/ca-keyfactor.md). Enrolments waiting for an
// approval are Pending with a ticket that finds them again; the CA
// publishes its own status.
#include <signet/sdk.hpp>

#include "api.hpp"

namespace signet::keyfactor {
namespace {

class KeyfactorCa final : public CertificateAuthority {
 public:
  KeyfactorCa(KeyfactorConfig config, HostServices& services)
      : config_(std::move(config)),
        connection_(config_, services),
        api_(config_.api == Api::command ? make_command_api(config_, connection_, services)
                                         : make_ejbca_api(config_, connection_, services)) {}

  Result<SignOutcome> sign(const SignRequest& request) override {
    if (auto checked = check_csr(request); !checked) return std::move(checked).error();
    // Beyond a century the end date would not even fit the clock's type.
    if (request.ttl < std::chrono::seconds(0) || request.ttl > std::chrono::hours(24 * 365 * 100))
      return make_error(ErrorCode::invalid_argument, "the lifetime asked for is out of range (0 to 100 years)");
    return api_->sign(request);
  }
  Result<RevokeOutcome> revoke(const RevokeRequest& request) override {
    if (request.serial_hex.empty() || request.serial_hex.size() > 64 ||
        request.serial_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return make_error(ErrorCode::invalid_argument, "the serial to revoke is not hexadecimal");
    return api_->revoke(request);
  }
  Result<std::vector<std::string>> chain() override { return api_->chain(); }
  Result<StatusUrls> published_status() override { return StatusUrls{config_.crl_url, config_.ocsp_url, ""}; }
  // At most once per health_interval: a health check must not load the server.
  Result<void> health() override { return connection_.health([&] { return api_->check(); }); }

 private:
  KeyfactorConfig config_;
  Connection connection_;
  std::unique_ptr<CaApi> api_;
};

Result<std::unique_ptr<CertificateAuthority>> make_ca(const PluginContext& context) {
  auto config = read_config(context.config);
  if (!config) return std::move(config).error();
  return std::unique_ptr<CertificateAuthority>(std::make_unique<KeyfactorCa>(std::move(config).value(), context.services));
}

}  // namespace
}  // namespace signet::keyfactor

SIGNET_PLUGIN(signet::CertificateAuthority, "ca-keyfactor", "1.0.0", signet::keyfactor::kConfigSchema,
              SIGNET_CAP_CA_REVOKE | SIGNET_CAP_CA_PENDING | SIGNET_CAP_CA_PUBLISHES_STATUS, signet::keyfactor::make_ca)
