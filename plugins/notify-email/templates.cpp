#include "templates.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <utility>

namespace signet::email {
namespace {

using nlohmann::json;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

bool field_name(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

// A string, number or boolean as text; nullopt for objects, arrays and null.
std::optional<std::string> scalar_text(const json& value) {
  switch (value.type()) {
    case json::value_t::string: return value.get_ref<const std::string&>();
    case json::value_t::boolean: return std::string(value.get<bool>() ? "true" : "false");
    case json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case json::value_t::number_unsigned: return std::to_string(value.get<std::uint64_t>());
    case json::value_t::number_float: return value.dump();
    default: return std::nullopt;
  }
}

// data.sans as {"dns": [...], "ip": [...], "email": [...], "uri": [...]}
// (or a plain list): every name, in that order, joined with ", ".
std::string joined_names(const json& sans) {
  std::string out;
  const auto add = [&out](const json& names) {
    if (!names.is_array()) return;
    for (const auto& name : names) {
      if (!name.is_string()) continue;
      if (!out.empty()) out += ", ";
      out += name.get_ref<const std::string&>();
    }
  };
  if (sans.is_array()) add(sans);
  if (sans.is_object())
    for (const char* kind : {"dns", "ip", "email", "uri"})
      if (const auto it = sans.find(kind); it != sans.end()) add(*it);
  return out;
}

// One line of a template, rendered; says whether it held placeholders and
// whether any of them rendered to something.
std::string render_line(std::string_view line, const Fields& fields, Escape escape, bool& placeholders, bool& filled) {
  std::string out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto open = line.find("{{", pos);
    const auto close = open == std::string_view::npos ? open : line.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(line.substr(pos));
      break;
    }
    const std::string_view name = trim(line.substr(open + 2, close - open - 2));
    if (!field_name(name)) {  // not a placeholder: "{{" stays as it is
      out.append(line.substr(pos, open + 2 - pos));
      pos = open + 2;
      continue;
    }
    out.append(line.substr(pos, open - pos));
    placeholders = true;
    if (const auto it = fields.find(name); it != fields.end() && !it->second.empty()) {
      filled = true;
      out += escape == Escape::html ? html_escape(it->second) : it->second;
    }
    pos = close + 2;
  }
  return out;
}

// ---- the built-in templates ----

struct Row {
  std::string_view label;
  std::string_view field;
};

constexpr std::size_t kLabelWidth = 20;

// A subject, an opening sentence, a table of fields and an optional closing
// sentence, as plain text and as HTML. The literal parts are ours; values
// are escaped by render().
TemplateSet make_set(std::string_view subject, std::string_view intro, std::initializer_list<Row> rows,
                     std::string_view closing) {
  TemplateSet set;
  set.subject = std::string(subject);

  std::string& text = set.text;
  text += std::string(intro) + "\n\n";
  for (const Row& row : rows) {
    std::string label = std::string(row.label) + ":";
    label.resize(std::max(label.size() + 1, kLabelWidth), ' ');
    text += label + "{{" + std::string(row.field) + "}}\n";
  }
  if (!closing.empty()) text += "\n" + std::string(closing) + "\n";
  text +=
      "\nEvent {{event_id}} ({{type}}) at {{time}}.\n"
      "-- \n"
      "Signet certificate lifecycle notifications\n";

  std::string& html = set.html;
  html +=
      "<!DOCTYPE html>\n"
      "<html>\n"
      "<head>\n"
      "<meta charset=\"utf-8\">\n"
      "<title>" + html_escape(subject) + "</title>\n"
      "</head>\n"
      "<body style=\"font-family: sans-serif\">\n"
      "<p>" + html_escape(intro) + "</p>\n"
      "<table cellpadding=\"4\" style=\"border-collapse: collapse\">\n";
  for (const Row& row : rows)
    html += "<tr><th align=\"left\">" + html_escape(row.label) + "</th><td>{{" + std::string(row.field) + "}}</td></tr>\n";
  html += "</table>\n";
  if (!closing.empty()) html += "<p>" + html_escape(closing) + "</p>\n";
  html +=
      "<p style=\"color: #666666; font-size: small\">Event {{event_id}} ({{type}}) at {{time}}.</p>\n"
      "</body>\n"
      "</html>\n";
  return set;
}

std::map<std::string, TemplateSet, std::less<>> built_in_templates() {
  std::map<std::string, TemplateSet, std::less<>> sets;
  sets["issued"] = make_set("[Signet] Certificate issued: {{common_name}}", "A certificate was issued for {{common_name}}.",
                            {{"Common name", "common_name"},
                             {"Names", "sans"},
                             {"Serial", "serial"},
                             {"Valid until", "not_after"},
                             {"Profile", "profile"},
                             {"Service", "service"},
                             {"Tenant", "tenant"},
                             {"Certificate", "certificate_id"},
                             {"Request", "request_id"},
                             {"Requested by", "metadata.requester"},
                             {"Ticket", "metadata.ticket"},
                             {"Download", "download_url"}},
                            "");
  sets["renewed"] = make_set("[Signet] Certificate renewed: {{common_name}}",
                             "The certificate for {{common_name}} was renewed; the new one is valid until {{not_after}}.",
                             {{"Common name", "common_name"},
                              {"Names", "sans"},
                              {"Serial", "serial"},
                              {"Valid until", "not_after"},
                              {"Replaces", "renews"},
                              {"Profile", "profile"},
                              {"Service", "service"},
                              {"Tenant", "tenant"},
                              {"Certificate", "certificate_id"},
                              {"Request", "request_id"},
                              {"Download", "download_url"}},
                             "Systems that do not fetch it themselves need the new certificate before the old one expires.");
  sets["revoked"] = make_set("[Signet] Certificate revoked: serial {{serial}}", "A certificate was revoked (reason: {{reason}}).",
                             {{"Serial", "serial"},
                              {"Reason", "reason"},
                              {"Common name", "common_name"},
                              {"Service", "service"},
                              {"Tenant", "tenant"},
                              {"Certificate", "certificate_id"},
                              {"Request", "request_id"}},
                             "Relying parties refuse it once they read the next CRL or OCSP answer.");
  sets["expiring"] = make_set("[Signet] Certificate {{common_name}} expires in {{warning}}",
                              "The certificate for {{common_name}} expires on {{not_after}}, in {{expires_in}}.",
                              {{"Common name", "common_name"},
                               {"Serial", "serial"},
                               {"Not after", "not_after"},
                               {"Expires in", "expires_in"},
                               {"Automatic renewal", "auto_renew"},
                               {"Profile", "profile"},
                               {"Service", "service"},
                               {"Tenant", "tenant"},
                               {"Certificate", "certificate_id"}},
                              "Renew it before then, or find out why automatic renewal has not replaced it.");
  sets["expired"] = make_set("[Signet] Certificate {{common_name}} has expired",
                             "The certificate for {{common_name}} expired on {{not_after}}.",
                             {{"Common name", "common_name"},
                              {"Serial", "serial"},
                              {"Not after", "not_after"},
                              {"Profile", "profile"},
                              {"Service", "service"},
                              {"Tenant", "tenant"},
                              {"Certificate", "certificate_id"}},
                             "Clients refuse it wherever it is still in use.");
  sets["failed"] = make_set("[Signet] Certificate {{operation}} failed: {{common_name}}",
                            "A {{operation}} request failed: {{error_message}}",
                            {{"Operation", "operation"},
                             {"Common name", "common_name"},
                             {"Error", "error_code"},
                             {"Message", "error_message"},
                             {"Profile", "profile"},
                             {"Service", "service"},
                             {"Tenant", "tenant"},
                             {"Request", "request_id"},
                             {"Certificate", "certificate_id"}},
                            "");
  sets["secret_rotation"] = make_set("[Signet] Secret due for rotation: {{path}}",
                                     "The secret {{path}} (version {{version}}) is due for rotation since {{rotate_at}}.",
                                     {{"Path", "path"}, {"Version", "version"}, {"Due", "rotate_at"}, {"Tenant", "tenant"}},
                                     "");
  sets["unknown"] = make_set("[Signet] {{type}} event: {{common_name}}", "Signet recorded a {{type}} event.",
                             {{"Common name", "common_name"},
                              {"Serial", "serial"},
                              {"Certificate", "certificate_id"},
                              {"Request", "request_id"},
                              {"Service", "service"},
                              {"Tenant", "tenant"}},
                             "");
  return sets;
}

}  // namespace

Fields event_fields(const Event& event) {
  Fields fields;
  const json& data = event.data;
  if (data.is_object()) {
    for (const auto& item : data.items())
      if (auto text = scalar_text(item.value())) fields.insert_or_assign(item.key(), std::move(*text));
    if (const auto error = data.find("error"); error != data.end() && error->is_object()) {
      if (const auto code = error->find("code"); code != error->end())
        if (auto text = scalar_text(*code)) fields.insert_or_assign("error_code", std::move(*text));
      if (const auto message = error->find("message"); message != error->end())
        if (auto text = scalar_text(*message)) fields.insert_or_assign("error_message", std::move(*text));
    }
    if (const auto metadata = data.find("metadata"); metadata != data.end() && metadata->is_object())
      for (const auto& item : metadata->items())
        if (item.value().is_string())
          fields.insert_or_assign("metadata." + item.key(), item.value().get_ref<const std::string&>());
    if (const auto sans = data.find("sans"); sans != data.end()) fields.insert_or_assign("sans", joined_names(*sans));
  }
  // The event's own fields win over data keys of the same name.
  fields.insert_or_assign("type", signet::to_string(event.type));
  fields.insert_or_assign("event_id", event.id);
  fields.insert_or_assign("tenant", event.tenant);
  fields.insert_or_assign("request_id", event.request_id);
  fields.insert_or_assign("certificate_id", event.certificate_id);
  fields.insert_or_assign("time", signet::to_rfc3339(event.time));
  if (!event.service.empty() || !fields.contains("service")) fields.insert_or_assign("service", event.service);
  return fields;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render(std::string_view text, const Fields& fields, Escape escape, EmptyLines empty_lines) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto newline = text.find('\n', pos);
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    bool placeholders = false, filled = false;
    std::string line = render_line(text.substr(pos, next - pos), fields, escape, placeholders, filled);
    if (empty_lines == EmptyLines::keep || !placeholders || filled) out += line;
    pos = next;
  }
  return out;
}

const TemplateSet& default_templates(std::string_view type) {
  static const auto sets = built_in_templates();  // built once, thread-safe (a function-local static)
  const auto it = sets.find(type);
  return it != sets.end() ? it->second : sets.find("unknown")->second;
}

TemplateSet templates_for(const TemplateOverrides& overrides, std::string_view type) {
  TemplateSet set = default_templates(type);
  if (const auto it = overrides.find(type); it != overrides.end()) {
    if (it->second.subject) set.subject = *it->second.subject;
    if (it->second.text) set.text = *it->second.text;
    if (it->second.html) set.html = *it->second.html;
  }
  return set;
}

RenderedMessage render_message(const TemplateSet& templates, const Fields& fields) {
  return {render(templates.subject, fields, Escape::none, EmptyLines::keep),
          render(templates.text, fields, Escape::none, EmptyLines::drop),
          render(templates.html, fields, Escape::html, EmptyLines::drop)};
}

}  // namespace signet::email
