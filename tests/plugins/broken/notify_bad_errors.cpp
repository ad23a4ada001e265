// A notifier whose errors carry no code the SDK defines and no message: the
// host can neither tell whether to retry nor say why. The conformance kit
// must fail it in errors.well_formed.
#include <signet/sdk.hpp>

namespace {

class BadErrorsNotifier final : public signet::Notifier {
 public:
  signet::Result<void> notify(const signet::Event&) override {
    return signet::make_error(static_cast<signet::ErrorCode>(99), "");
  }
};

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext&) {
  return std::unique_ptr<signet::Notifier>(std::make_unique<BadErrorsNotifier>());
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "notify-bad-errors", "1.0.0", R"({"type":"object"})", 0, make_notifier)
