// notify-email: subjects and bodies from templates (docs/plugins/notify-email.md).
//
// A minimal renderer, on purpose: `{{name}}` (spaces inside the braces
// allowed) is replaced by the value of a field of the event, from a flat
// map of strings; an unknown name renders as "". There are no loops, no
// conditionals, no filters and no partials. A full template language is not
// packaged for C++ on Debian 12 (no inja or mustache -dev package), and a
// notification needs little more than the fields. One rule makes the
// bodies read well without conditionals: a line of a body whose
// placeholders all render empty is left out (subjects are kept whole).
// In HTML bodies every value is HTML-escaped (& < > " '); in the subject
// and the plain-text body values go in as they are.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <signet/notifier.hpp>

namespace signet::email {

using Fields = std::map<std::string, std::string, std::less<>>;

// The fields of an event: type, event_id, tenant, service, request_id,
// certificate_id, time (RFC 3339); every string, number or boolean at the
// top level of event.data (common_name, serial, not_after, profile,
// warning, expires_in, reason, operation, renews, download_url, ...);
// error_code and error_message from data.error; metadata.<key> for each
// string value of data.metadata; sans, the names of data.sans (dns, ip,
// email, uri) joined with ", ".
Fields event_fields(const Event& event);

enum class Escape { none, html };
enum class EmptyLines { keep, drop };

std::string render(std::string_view text, const Fields& fields, Escape escape, EmptyLines empty_lines);

std::string html_escape(std::string_view text);

struct TemplateSet {
  std::string subject;
  std::string text;
  std::string html;
};

// What the configuration replaces for one event type; unset parts keep the
// built-in template. Files are read when the instance is created.
struct TemplateOverride {
  std::optional<std::string> subject;
  std::optional<std::string> text;
  std::optional<std::string> html;
};
using TemplateOverrides = std::map<std::string, TemplateOverride, std::less<>>;

// The built-in templates of an event type ("issued", ...); a type this
// build does not know ("unknown") gets a generic one.
const TemplateSet& default_templates(std::string_view type);

// The built-in templates of `type` with the overrides of `type` applied.
TemplateSet templates_for(const TemplateOverrides& overrides, std::string_view type);

struct RenderedMessage {
  std::string subject;
  std::string text;
  std::string html;
};

RenderedMessage render_message(const TemplateSet& templates, const Fields& fields);

}  // namespace signet::email
