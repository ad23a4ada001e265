// A notifier whose factory throws: the SDK's guard must turn it into a
// refusal the host reports, not a crash.
#include <stdexcept>

#include <signet/sdk.hpp>

namespace {

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext&) {
  throw std::runtime_error("boom from throws-on-create");
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "throws-on-create", "1.0.0", R"({"type":"object"})", 0, make_notifier)
