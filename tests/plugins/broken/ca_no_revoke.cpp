// A valid CA plugin that offers no capabilities and signs nothing: for the
// host's "capability required but not offered" refusals.
#include <signet/sdk.hpp>

namespace {

class NoRevokeCa final : public signet::CertificateAuthority {
 public:
  signet::Result<signet::SignOutcome> sign(const signet::SignRequest&) override {
    return signet::make_error(signet::ErrorCode::unavailable, "ca-no-revoke signs nothing");
  }
  signet::Result<std::vector<std::string>> chain() override { return std::vector<std::string>{}; }
};

signet::Result<std::unique_ptr<signet::CertificateAuthority>> make_ca(const signet::PluginContext&) {
  return std::unique_ptr<signet::CertificateAuthority>(std::make_unique<NoRevokeCa>());
}

}  // namespace

SIGNET_PLUGIN(signet::CertificateAuthority, "ca-no-revoke", "1.0.0", R"({"type":"object"})", 0, make_ca)
