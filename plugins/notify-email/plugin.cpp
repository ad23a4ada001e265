// notify-email: one e-mail per lifecycle event, sent through SMTP with
// libcurl (docs/plugins/notify-email.md).
#include <exception>

#include "email.hpp"

namespace {

// The same shape for every event type under `templates` (one line: a raw
// string in a macro must not span lines).
#define SIGNET_EMAIL_TEMPLATE_SCHEMA \
  R"json({"type": "object", "properties": {"subject": {"type": "string", "minLength": 1, "description": "subject template ({{field}} placeholders)"}, "text": {"type": "string", "minLength": 1, "description": "plain-text body template"}, "html": {"type": "string", "minLength": 1, "description": "HTML body template (values are HTML-escaped)"}, "text_file": {"type": "string", "minLength": 1, "description": "file holding the plain-text body template, read at start"}, "html_file": {"type": "string", "minLength": 1, "description": "file holding the HTML body template, read at start"}}, "additionalProperties": false})json"

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "smtp": {
      "type": "object",
      "properties": {
        "host": {"type": "string", "minLength": 1, "maxLength": 253, "description": "the SMTP server: a DNS name or an IP address"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "default 587 (starttls), 465 (implicit), 25 (none)"},
        "tls": {"type": "string", "enum": ["starttls", "implicit", "none"],
                "description": "starttls (default): STARTTLS required; implicit: TLS from the first byte (SMTPS); none: only to a server on this machine"},
        "username": {"type": "string", "minLength": 1, "description": "SMTP AUTH user; with password"},
        "password": {"type": "string", "minLength": 1, "description": "SMTP AUTH password: use ${env:} or ${file:}; never logged"},
        "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle of a private CA of the server's certificate"},
        "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300, "description": "whole SMTP transaction (default 30)"}
      },
      "required": ["host"],
      "additionalProperties": false
    },
    "from": {"type": "string", "minLength": 3, "description": "From: \"Name <address>\" or an address; the address is MAIL FROM"},
    "to": {"type": "array", "items": {"type": "string", "minLength": 3}, "description": "recipients of every event"},
    "recipients_from": {"type": "array", "items": {"type": "string", "minLength": 1},
                        "description": "keys of the request's metadata whose values are recipient addresses"},
    "events": {"type": "array", "items": {"type": "string",
      "enum": ["issued", "renewed", "revoked", "expiring", "failed", "expired", "secret_rotation"]},
      "description": "event types sent (default: all)"},
    "per_minute": {"type": "integer", "minimum": 1, "maximum": 100000, "description": "messages per minute for this instance (default 60)"},
    "templates": {
      "type": "object",
      "properties": {
        "issued": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "renewed": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "revoked": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "expiring": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "expired": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "failed": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(,
        "secret_rotation": )json" SIGNET_EMAIL_TEMPLATE_SCHEMA R"json(
      },
      "additionalProperties": false,
      "description": "per event type: subject, text or text_file, html or html_file; the rest stays built in"
    }
  },
  "required": ["smtp", "from"],
  "additionalProperties": false
})json";

#undef SIGNET_EMAIL_TEMPLATE_SCHEMA

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext& context) {
  try {
    auto config = signet::email::read_config(context.config);
    if (!config) return std::move(config).error();
    return std::unique_ptr<signet::Notifier>(
        std::make_unique<signet::email::EmailNotifier>(std::move(config).value(), context.services));
  } catch (const std::exception& e) {
    return signet::make_error(signet::ErrorCode::internal, std::string("notify-email cannot start: ") + e.what());
  } catch (...) {
    return signet::make_error(signet::ErrorCode::internal, "notify-email cannot start: a non-standard exception");
  }
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "notify-email", "1.0.0", kSchema, 0, make_notifier)
