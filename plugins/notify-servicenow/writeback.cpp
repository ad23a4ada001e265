#include "writeback.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <system_error>
#include <vector>

namespace signet::servicenow {
namespace {

constexpr std::size_t kMaxTasks = 100;  // catalogue tasks of one request item looked at
constexpr const char* kIncidentTable = "incident";

const nlohmann::json& member(const nlohmann::json& object, const std::string& key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  const auto found = object.find(key);
  return found == object.end() ? kNull : *found;
}

std::string data_text(const Event& event, const std::string& key) { return field_text(event.data, key); }
std::string metadata_text(const Event& event, const std::string& key) { return field_text(member(event.data, "metadata"), key); }
std::string service_of(const Event& event) { return event.service.empty() ? data_text(event, "service") : event.service; }

// The CN people know the certificate by, else its id.
std::string display_name(const Event& event) {
  const std::string name = data_text(event, "common_name");
  return name.empty() ? event.certificate_id : name;
}

// What marks this event's writes: "[signet event evt_…]" ends every note.
std::string event_key(const Event& event) { return "signet event " + event.id; }

// '^' separates the parts of an encoded query: a value never carries one.
std::string query_value(std::string text) {
  std::erase(text, '^');
  return text;
}

// The non-empty parts, `separator` between them.
std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts)
    if (!part.empty()) out += (out.empty() ? "" : separator) + part;
  return out;
}

void add_line(std::string& text, const std::string& label, const std::string& value) {
  if (!value.empty()) text += "\n" + label + ": " + value;
}

// "www.example.com, 10.0.0.1, ops@example.com": DNS names, IPs, e-mail, URIs.
std::string sans_text(const Event& event) {
  std::vector<std::string> names;
  const auto& sans = member(event.data, "sans");
  for (const char* kind : {"dns", "ip", "email", "uri"}) {
    const auto& list = member(sans, kind);
    if (!list.is_array()) continue;
    for (const auto& name : list)
      if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return join(names, ", ");
}

std::string expiry_text(const Event& event) {
  const std::string raw = data_text(event, "not_after");
  const std::string converted = servicenow_time(raw);
  return converted.empty() ? raw : converted + " UTC";
}

std::optional<long long> number_of(const std::string& text) {
  long long value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// The sys_id of the request item the event's request came from; "" when
// it came from no ServiceNow ticket.
Result<std::string> ticket_of(const Event& event) {
  const auto& ref = member(event.data, "external_ref");
  if (field_text(ref, "system") != "servicenow") return std::string();
  const std::string id = field_text(ref, "id");
  if (!is_sys_id(id)) return make_error(ErrorCode::rejected, "the event's external_ref id \"" + id + "\" is not a ServiceNow sys_id");
  return id;
}

Error no_ticket() { return make_error(ErrorCode::not_found, "the event has no ServiceNow ticket (no external_ref)"); }

// A file name every browser and desktop accepts: "*.example.com" becomes "_.example.com".
std::string file_safe(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out += kept ? c : '_';
  }
  return out;
}

// The certificate, then its chain (issuing CA first). A block that holds a
// key is left out whatever the event carries: a ticket is no place for one.
std::string pem_bundle(const Event& event) {
  std::string out;
  auto add = [&out](const std::string& pem) {
    if (pem.empty() || pem.find("PRIVATE KEY") != std::string::npos) return;
    out += pem;
    if (out.back() != '\n') out += '\n';
  };
  add(data_text(event, "certificate"));
  const auto& chain = member(event.data, "chain");
  if (chain.is_array())
    for (const auto& pem : chain)
      if (pem.is_string()) add(pem.get<std::string>());
  return out;
}

std::string issued_note(const Event& event) {
  std::string text = event.type == EventType::renewed ? "Certificate renewed by Signet" : "Certificate issued by Signet";
  add_line(text, "Serial", data_text(event, "serial"));
  add_line(text, "Common name", data_text(event, "common_name"));
  add_line(text, "SANs", sans_text(event));
  add_line(text, "Expires", data_text(event, "not_after"));
  add_line(text, "Issuer", data_text(event, "issuer"));
  add_line(text, "Download", data_text(event, "download_url"));
  add_line(text, "Signet request", event.request_id);
  add_line(text, "Signet certificate", event.certificate_id);
  add_line(text, "Renews", data_text(event, "renews"));
  return text;
}

std::string failure_note(const Event& event) {
  const auto& error = member(event.data, "error");
  const std::string code = field_text(error, "code");
  const std::string message = field_text(error, "message");
  std::string operation = data_text(event, "operation");
  if (operation.empty()) operation = "issue";
  std::string text;
  if (code == "rejected")
    text = "The certificate request was rejected in Signet" + (message.empty() ? "" : ": " + message);
  else if (code == "approval_expired")
    text = "The certificate request expired in Signet while it waited for approval" + (message.empty() ? "" : ": " + message);
  else
    text = "Signet could not " + operation + " the certificate: " + (code.empty() ? "" : code + ": ") + message;
  add_line(text, "Common name", data_text(event, "common_name"));
  add_line(text, "Profile", data_text(event, "profile"));
  add_line(text, "Signet request", event.request_id);
  return text;
}

std::string revoked_note(const Event& event) {
  std::string text = "Certificate revoked by Signet";
  add_line(text, "Serial", data_text(event, "serial"));
  add_line(text, "Reason", data_text(event, "reason"));
  std::vector<std::string> ids;
  const auto& certificates = member(event.data, "certificates");
  if (certificates.is_array())
    for (const auto& id : certificates)
      if (id.is_string()) ids.push_back(id.get<std::string>());
  add_line(text, "Signet certificates", join(ids, ", "));
  return text;
}

// An incident's description, and the work note each later event adds.
std::string incident_details(const Event& event, const std::string& headline) {
  std::string text = headline;
  add_line(text, "Serial", data_text(event, "serial"));
  add_line(text, "Common name", data_text(event, "common_name"));
  add_line(text, "Expires", data_text(event, "not_after"));
  add_line(text, "Service", service_of(event));
  add_line(text, "Profile", data_text(event, "profile"));
  add_line(text, "Signet certificate", event.certificate_id);
  if (const auto& renew = member(event.data, "auto_renew"); renew.is_boolean())
    add_line(text, "Automatic renewal", renew.get<bool>() ? "yes" : "no");
  add_line(text, "Renewed by", data_text(event, "renewed_by"));
  const auto& error = member(event.data, "error");
  add_line(text, "Error", join({field_text(error, "code"), field_text(error, "message")}, ": "));
  return text;
}

// The value of a Signet field for a CMDB mapping (cmdb_source_fields()).
std::string signet_value(const Event& event, const std::string& source) {
  if (source == "certificate_id") return event.certificate_id;
  if (source == "request_id") return event.request_id;
  if (source == "tenant") return event.tenant;
  if (source == "service") return service_of(event);
  if (source == "owner" || source == "business_unit") return metadata_text(event, source);
  if (source == "sans") return sans_text(event);
  if (source == "not_before" || source == "not_after") return servicenow_time(data_text(event, source));
  return data_text(event, source);
}

}  // namespace

std::string servicenow_time(const std::string& rfc3339) {
  std::tm tm{};
  int used = 0;
  if (std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &used) != 6)
    return {};
  std::size_t at = static_cast<std::size_t>(used);
  if (at < rfc3339.size() && rfc3339[at] == '.')
    for (++at; at < rfc3339.size() && rfc3339[at] >= '0' && rfc3339[at] <= '9';) ++at;
  const std::string zone = rfc3339.substr(at);
  long offset = 0;  // seconds east of UTC
  if (zone != "Z" && zone != "z") {
    int hours = 0;
    int minutes = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || std::sscanf(zone.c_str() + 1, "%2d:%2d", &hours, &minutes) != 2)
      return {};
    offset = (zone[0] == '-' ? -1L : 1L) * (hours * 3600L + minutes * 60L);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t utc = timegm(&tm) - offset;
  std::tm out{};
  gmtime_r(&utc, &out);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &out);
  return text;
}

Result<void> add_work_note(ServiceNowClient& client, const std::string& table, const std::string& sys_id,
                           const std::string& text, const std::string& key) {
  // Journal entries are rows of sys_journal_field; reading the record's
  // work_notes back through the Table API always gives "".
  auto notes = client.get_records("sys_journal_field",
                                  "element_id=" + sys_id + "^element=work_notes^valueLIKE" + query_value(key),
                                  "element_id,value", 1);
  if (!notes) return std::move(notes).error();
  for (const auto& note : *notes)
    if (field_text(note, "element_id") == sys_id && field_text(note, "value").find(key) != std::string::npos) return {};
  auto written = client.update(table, sys_id, nlohmann::json{{"work_notes", text + "\n[" + key + "]"}});
  if (!written) return std::move(written).error();
  return {};
}

Result<void> close_request_item(ServiceNowClient& client, const TicketConfig& ticket, const std::string& ritm_sys_id,
                                const std::string& state) {
  auto tasks = client.get_records(ticket.task_table, "request_item=" + ritm_sys_id, "sys_id,active,request_item", kMaxTasks);
  if (!tasks) return std::move(tasks).error();
  bool has_task = false;
  for (const auto& task : *tasks) {
    if (field_text(task, "request_item") != ritm_sys_id) continue;  // an instance ignores a query part it cannot read
    has_task = true;
    const std::string task_id = field_text(task, "sys_id");
    if (field_text(task, "active") == "false" || !is_sys_id(task_id)) continue;  // closed already
    auto closed = client.update(ticket.task_table, task_id, nlohmann::json{{"state", state}});
    if (!closed) return std::move(closed).error();
  }
  if (has_task) return {};
  // No catalogue task, so no Task Closer to put the state back: the item's own.
  auto item = client.get_record(ticket.table, ritm_sys_id, "active");
  if (!item) return std::move(item).error();
  if (field_text(*item, "active") == "false") return {};
  auto closed = client.update(ticket.table, ritm_sys_id, nlohmann::json{{"state", state}});
  if (!closed) return std::move(closed).error();
  return {};
}

Result<void> Writeback::deliver(const Event& event) {
  switch (event.type) {
    case EventType::issued:
    case EventType::renewed: return certificate_issued(event);
    case EventType::failed: return request_failed(event);
    case EventType::revoked: return certificate_revoked(event);
    case EventType::expiring:
    case EventType::expired: return certificate_expiry(event);
    case EventType::secret_rotation: break;
  }
  return make_error(ErrorCode::not_found, std::string("notify-servicenow does not deliver ") + to_string(event.type) + " events");
}

Result<void> Writeback::certificate_issued(const Event& event) {
  auto ritm = ticket_of(event);
  if (!ritm) return std::move(ritm).error();
  bool acted = false;
  if (!ritm->empty()) {
    if (auto done = ticket_issued(event, *ritm); !done) return done;
    acted = true;
  }
  if (config_.cmdb.enabled && !event.certificate_id.empty()) {
    if (auto done = upsert_ci(event); !done) return done;
    acted = true;
  }
  if (event.type == EventType::renewed && config_.incidents.enabled && !data_text(event, "renews").empty()) {
    if (auto done = resolve_incident(event); !done) return done;
    acted = true;
  }
  if (!acted) return no_ticket();
  return {};
}

Result<void> Writeback::request_failed(const Event& event) {
  auto ritm = ticket_of(event);
  if (!ritm) return std::move(ritm).error();
  if (!ritm->empty()) {
    const TicketConfig& ticket = config_.ticket;
    if (auto noted = add_work_note(client_, ticket.table, *ritm, failure_note(event), event_key(event)); !noted) return noted;
    return close_request_item(client_, ticket, *ritm, ticket.incomplete_state);
  }
  // An automatic renewal that failed: the certificate will expire unless
  // someone acts, which is what its expiry incident is for.
  if (data_text(event, "operation") == "renew" && config_.incidents.enabled)
    return raise_incident(event, "renewal_failed", "Certificate " + display_name(event) + ": automatic renewal failed");
  return no_ticket();
}

Result<void> Writeback::certificate_revoked(const Event& event) {
  auto ritm = ticket_of(event);
  if (!ritm) return std::move(ritm).error();
  if (ritm->empty()) return no_ticket();  // the CMDB item is left as it is (docs/plugins/notify-servicenow.md)
  return add_work_note(client_, config_.ticket.table, *ritm, revoked_note(event), event_key(event));
}

Result<void> Writeback::certificate_expiry(const Event& event) {
  if (!config_.incidents.enabled) return make_error(ErrorCode::not_found, "incidents are disabled");
  const std::string name = display_name(event);
  if (event.type == EventType::expired)
    return raise_incident(event, "expired", "Certificate " + name + " expired " + expiry_text(event));
  const std::string warning = data_text(event, "warning");
  return raise_incident(event, warning,
                        "Certificate " + name + " expires " + expiry_text(event) + (warning.empty() ? "" : " (" + warning + ")"));
}

Result<void> Writeback::ticket_issued(const Event& event, const std::string& ritm) {
  const TicketConfig& ticket = config_.ticket;
  auto record = client_.get_record(ticket.table, ritm, "sys_id,correlation_id,correlation_display");
  if (!record) {
    Error error = std::move(record).error();
    // The ticket is gone (deleted, or hidden by an ACL): retrying cannot help.
    if (error.code == ErrorCode::not_found) error.code = ErrorCode::rejected;
    return error;
  }
  // The note and the certificate first: closing may end the item's workflow.
  if (auto noted = add_work_note(client_, ticket.table, ritm, issued_note(event), event_key(event)); !noted) return noted;
  if (ticket.attach_certificate) {
    if (auto attached = attach_certificate(event, ritm); !attached) return attached;
  }
  if (auto correlated = correlate(event, *record, ritm); !correlated) return correlated;
  return close_request_item(client_, ticket, ritm, ticket.complete_state);
}

Result<void> Writeback::attach_certificate(const Event& event, const std::string& ritm) {
  const std::string bundle = pem_bundle(event);
  if (bundle.empty()) return {};
  const std::string file_name = file_safe(display_name(event) + "-" + data_text(event, "serial")) + ".pem";
  auto existing = client_.find_attachment(ritm, file_name);
  if (!existing) return std::move(existing).error();
  if (existing->has_value()) return {};
  auto attached = client_.attach(config_.ticket.table, ritm, file_name, "application/x-pem-file", bundle);
  if (!attached) return std::move(attached).error();
  return {};
}

Result<void> Writeback::correlate(const Event& event, const nlohmann::json& ritm_record, const std::string& ritm) {
  const std::string& display = config_.ticket.correlation_display;
  if (event.request_id.empty()) return {};
  if (field_text(ritm_record, "correlation_id") == event.request_id && field_text(ritm_record, "correlation_display") == display)
    return {};
  auto updated = client_.update(config_.ticket.table, ritm,
                                nlohmann::json{{"correlation_id", event.request_id}, {"correlation_display", display}});
  if (!updated) return std::move(updated).error();
  return {};
}

Result<void> Writeback::raise_incident(const Event& event, const std::string& label, const std::string& headline) {
  if (event.certificate_id.empty()) return make_error(ErrorCode::not_found, "the event names no certificate to raise an incident for");
  const IncidentConfig& incidents = config_.incidents;
  const std::string correlation = "signet-expiry:" + event.certificate_id;
  auto existing = client_.get_records(kIncidentTable, "correlation_id=" + query_value(correlation) + "^active=true",
                                      "sys_id,urgency,correlation_id,active", 1);
  if (!existing) return std::move(existing).error();
  std::string sys_id;
  std::string current_urgency;
  for (const auto& row : *existing)
    if (field_text(row, "correlation_id") == correlation && field_text(row, "active") != "false" &&
        is_sys_id(field_text(row, "sys_id"))) {
      sys_id = field_text(row, "sys_id");
      current_urgency = field_text(row, "urgency");
    }
  const std::string details = incident_details(event, headline);
  const std::string urgency = incidents.urgency_for(label);
  const std::string impact = incidents.impact_for(label);
  if (sys_id.empty()) {
    nlohmann::json incident = {{"short_description", headline},
                               {"description", details},
                               {"correlation_id", correlation},
                               {"correlation_display", config_.ticket.correlation_display},
                               {"urgency", urgency},
                               {"impact", impact},
                               // Keyed like every note: a retry after a lost answer finds
                               // the incident by correlation_id and this note by its key.
                               {"work_notes", details + "\n[" + event_key(event) + "]"}};
    if (!incidents.assignment_group.empty()) incident["assignment_group"] = incidents.assignment_group;
    if (!incidents.caller_id.empty()) incident["caller_id"] = incidents.caller_id;
    if (!incidents.category.empty()) incident["category"] = incidents.category;
    auto created = client_.create(kIncidentTable, incident);
    if (!created) return std::move(created).error();
    return {};
  }
  if (auto noted = add_work_note(client_, kIncidentTable, sys_id, details, event_key(event)); !noted) return noted;
  // Urgency only ever rises (a lower number is more urgent).
  const auto wanted = number_of(urgency);
  const auto current = number_of(current_urgency);
  if (!wanted || (current && *current <= *wanted)) return {};
  auto raised = client_.update(kIncidentTable, sys_id, nlohmann::json{{"urgency", urgency}, {"impact", impact}});
  if (!raised) return std::move(raised).error();
  return {};
}

Result<void> Writeback::resolve_incident(const Event& event) {
  const IncidentConfig& incidents = config_.incidents;
  const std::string correlation = "signet-expiry:" + data_text(event, "renews");
  auto unresolved = client_.get_records(kIncidentTable,
                                        "correlation_id=" + query_value(correlation) + "^active=true^state!=" + incidents.resolved_state,
                                        "sys_id,correlation_id,state,active", 10);
  if (!unresolved) return std::move(unresolved).error();
  std::vector<std::string> facts;
  if (const std::string serial = data_text(event, "serial"); !serial.empty()) facts.push_back("serial " + serial);
  if (const std::string expires = expiry_text(event); !expires.empty()) facts.push_back("expires " + expires);
  const std::string notes = "Renewed by Signet as certificate " + event.certificate_id +
                            (facts.empty() ? "" : " (" + join(facts, ", ") + ")");
  for (const auto& row : *unresolved) {
    const std::string sys_id = field_text(row, "sys_id");
    if (field_text(row, "correlation_id") != correlation || field_text(row, "active") == "false" ||
        field_text(row, "state") == incidents.resolved_state || !is_sys_id(sys_id))
      continue;
    auto resolved = client_.update(kIncidentTable, sys_id,
                                   nlohmann::json{{"state", incidents.resolved_state},
                                                  {"close_code", incidents.close_code},
                                                  {"close_notes", notes}});
    if (!resolved) return std::move(resolved).error();
  }
  return {};
}

Result<void> Writeback::upsert_ci(const Event& event) {
  const CmdbConfig& cmdb = config_.cmdb;
  const std::string key = "signet:" + event.certificate_id;
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [field, source] : cmdb.fields)
    if (const std::string value = signet_value(event, source); !value.empty()) fields[field] = value;
  fields[cmdb.key_field] = key;
  auto items = client_.get_records(cmdb.table, cmdb.key_field + "=" + query_value(key), "sys_id," + cmdb.key_field, 1);
  if (!items) return std::move(items).error();
  for (const auto& item : *items) {
    const std::string sys_id = field_text(item, "sys_id");
    if (field_text(item, cmdb.key_field) != key || !is_sys_id(sys_id)) continue;  // an ignored query part
    auto updated = client_.update(cmdb.table, sys_id, fields);
    if (!updated) return std::move(updated).error();
    return {};
  }
  auto created = client_.create(cmdb.table, fields);
  if (!created) return std::move(created).error();
  return {};
}

}  // namespace signet::servicenow
