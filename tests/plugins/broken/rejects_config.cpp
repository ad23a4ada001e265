// A notifier whose factory checks its config beyond the schema and rejects a
// url that is not https, naming the problem by JSON pointer.
#include <signet/sdk.hpp>

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {"url": {"type": "string"}},
  "required": ["url"],
  "additionalProperties": false
})json";

class NullNotifier final : public signet::Notifier {
 public:
  signet::Result<void> notify(const signet::Event&) override { return {}; }
};

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext& context) {
  const std::string url = context.config.at("url").get<std::string>();
  if (url.rfind("https://", 0) != 0) {
    signet::Error error = signet::make_error(signet::ErrorCode::invalid_config, "bad url");
    error.problems.push_back({"/url", "must start with https://"});
    return error;
  }
  return std::unique_ptr<signet::Notifier>(std::make_unique<NullNotifier>());
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "rejects-config", "1.0.0", kSchema, 0, make_notifier)
