// A CA whose descriptor is written by hand, without SIGNET_PLUGIN and so
// without its guard, and whose methods throw: exceptions cross into the
// host. The conformance kit must fail it in boundary.no_exceptions.
#include <stdexcept>

#include <boost/dll/alias.hpp>
#include <signet/sdk.hpp>

namespace {

class ThrowingCa final : public signet::CertificateAuthority {
 public:
  signet::Result<signet::SignOutcome> sign(const signet::SignRequest& r) override {
    if (r.csr_pem.empty()) throw std::invalid_argument("empty CSR");
    return signet::make_error(signet::ErrorCode::unavailable, "ca-throws signs nothing");
  }
  signet::Result<std::vector<std::string>> chain() override { throw std::runtime_error("no chain today"); }
};

signet::Result<std::shared_ptr<signet::Plugin>> create(const signet::PluginContext&) noexcept {
  return std::shared_ptr<signet::Plugin>(std::make_shared<ThrowingCa>());  // unguarded
}

const signet_plugin_descriptor descriptor = {
    sizeof(signet_plugin_descriptor), SIGNET_SDK_MAJOR, SIGNET_SDK_MINOR, SIGNET_KIND_CA, 0,
    "ca-throws", "1.0.0", SIGNET_BUILD_KEY, R"({"type":"object"})", 0, &create,
};
const signet_plugin_descriptor* entry() { return &descriptor; }

}  // namespace

BOOST_DLL_ALIAS(entry, signet_plugin_entry)
