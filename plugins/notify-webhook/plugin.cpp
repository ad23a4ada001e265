// notify-webhook: delivers lifecycle events as JSON POSTs signed with
// HMAC-SHA256 (docs/plugins/notify-webhook.md).
#include "webhook.hpp"

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "url": {"type": "string", "minLength": 1, "description": "the default receiver (https://; http:// only to this machine)"},
    "secret": {"type": "string", "minLength": 16, "description": "HMAC-SHA256 signing secret of the default receiver and of routes without one"},
    "routes": {"type": "array", "items": {
      "type": "object",
      "properties": {
        "tenant": {"type": "string", "minLength": 1, "description": "tenant slug"},
        "service": {"type": "string", "minLength": 1, "description": "the application (the certificate's service)"},
        "url": {"type": "string", "minLength": 1},
        "secret": {"type": "string", "minLength": 16}
      },
      "required": ["url"],
      "additionalProperties": false},
      "description": "per-tenant and per-application receivers; the most specific match wins"},
    "events": {"type": "array", "items": {"type": "string",
      "enum": ["issued", "renewed", "revoked", "expiring", "failed", "expired", "secret_rotation"]},
      "description": "event types delivered (default: all)"},
    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 120, "description": "per delivery (default 10)"},
    "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle for https receivers with a private CA"},
    "allow_http": {"type": "boolean", "description": "allow http:// receivers beyond this machine (default false)"}
  },
  "additionalProperties": false
})json";

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext& context) {
  auto config = signet::webhook::read_config(context.config);
  if (!config) return std::move(config).error();
  return std::unique_ptr<signet::Notifier>(
      std::make_unique<signet::webhook::WebhookNotifier>(std::move(config).value(), context.services));
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "notify-webhook", "1.0.0", kSchema, 0, make_notifier)
