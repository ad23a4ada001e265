// A notifier whose RequestSource (SDK 1.2) offers more than it is asked
// for, under a system name the host cannot key requests by: the
// conformance kit must fail it in intake.system and intake.offers_bounded.
#include <signet/sdk.hpp>

namespace {

class OverflowingSource final : public signet::RequestSource {
 public:
  std::string system() const override { return "Ticket System"; }
  signet::Result<std::vector<signet::OfferedRequest>> offers(std::size_t limit) override {
    std::vector<signet::OfferedRequest> out;
    for (std::size_t i = 0; i <= limit; ++i)
      out.push_back({{"Ticket System", "r" + std::to_string(i), ""}, "", {{"common_name", "x.example.com"}}, ""});
    return out;
  }
  signet::Result<void> taken(const signet::OfferedRequest&, const std::string&) override { return {}; }
  signet::Result<void> refused(const signet::OfferedRequest&, const signet::Error&) override { return {}; }
  signet::Result<signet::Approval> approval(const signet::ExternalRef&) override { return signet::Approval::approved; }
};

class IntakeNotifier final : public signet::Notifier {
 public:
  signet::Result<void> notify(const signet::Event&) override { return {}; }
  signet::RequestSource* request_source() override { return &source_; }

 private:
  OverflowingSource source_;
};

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext&) {
  return std::unique_ptr<signet::Notifier>(std::make_unique<IntakeNotifier>());
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "intake-overflows", "1.0.0", R"({"type":"object"})", 0, make_notifier)
