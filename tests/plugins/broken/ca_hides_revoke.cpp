// A CA that revokes but does not announce 'revoke': the host would never
// call it. The conformance kit must fail it in ca.capabilities.
#include <signet/sdk.hpp>

namespace {

class HidesRevokeCa final : public signet::CertificateAuthority {
 public:
  signet::Result<signet::SignOutcome> sign(const signet::SignRequest&) override {
    return signet::make_error(signet::ErrorCode::unavailable, "ca-hides-revoke signs nothing");
  }
  signet::Result<std::vector<std::string>> chain() override { return std::vector<std::string>{}; }
  signet::Result<signet::RevokeOutcome> revoke(const signet::RevokeRequest&) override { return signet::RevokeOutcome(signet::Revoked{}); }
};

signet::Result<std::unique_ptr<signet::CertificateAuthority>> make_ca(const signet::PluginContext&) {
  return std::unique_ptr<signet::CertificateAuthority>(std::make_unique<HidesRevokeCa>());
}

}  // namespace

SIGNET_PLUGIN(signet::CertificateAuthority, "ca-hides-revoke", "1.0.0", R"({"type":"object"})", 0, make_ca)
