#include "config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace signet::servicenow {
namespace {

using Problems = std::vector<ConfigProblem>;

const nlohmann::json& child(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto found = object.find(key);
  return found != object.end() && found->is_object() ? *found : kEmpty;
}

std::string text_at(const nlohmann::json& object, const char* key, const std::string& fallback = "") {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

bool flag_at(const nlohmann::json& object, const char* key, bool fallback) {
  const auto found = object.find(key);
  return found != object.end() && found->is_boolean() ? found->get<bool>() : fallback;
}

long long number_at(const nlohmann::json& object, const char* key, long long fallback) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<long long>() : fallback;
}

// Values of free-form maps are untyped in the YAML, so `7d: 2` arrives as a number.
std::optional<std::string> scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  return std::nullopt;
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// A table, field or variable name: it goes into URL paths, sysparm_fields
// and encoded queries, where '^', ',' or '=' would change their meaning.
bool is_name(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

// A choice value used in an encoded query ("3", "-5", "in_progress").
bool is_choice(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

// The URL's host exactly: "localhost", an IPv4 address in 127.0.0.0/8 or
// [::1]; "localhost.example.com" and "127.0.0.1.nip.io" are not.
bool loopback_authority(std::string host) {
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

// https:// always; http:// only to this machine (a stand-in), since the
// integration user's credentials travel with every call.
std::optional<std::string> instance_problem(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0;
  const bool http = url.rfind("http://", 0) == 0;
  if (!https && !http) return "must be an https:// URL";
  const std::string authority = url.substr(url.find("://") + 3);
  if (authority.empty()) return "names no host";
  // Paging links are absolute URLs whose path the client reuses under this
  // address, so the address must be the instance's origin alone.
  if (authority.find_first_of("/?#@") != std::string::npos)
    return "give the instance's address only, e.g. https://example.service-now.com (no path, query or user name)";
  if (http && !loopback_authority(authority))
    return "plain http:// would send credentials unencrypted; use https:// (http:// is allowed only to this machine)";
  return std::nullopt;
}

void read_auth(const nlohmann::json& auth, AuthConfig& out, Problems& problems) {
  out.type = text_at(auth, "type", "oauth") == "basic" ? AuthType::basic : AuthType::oauth;
  out.grant = text_at(auth, "grant", "client_credentials") == "password" ? Grant::password : Grant::client_credentials;
  out.client_id = text_at(auth, "client_id");
  out.client_secret = text_at(auth, "client_secret");
  out.username = text_at(auth, "username");
  out.password = text_at(auth, "password");
  auto need = [&problems](const std::string& value, const char* key, const char* when) {
    if (value.empty()) problems.push_back({std::string("/auth/") + key, std::string("required ") + when});
  };
  const bool oauth = out.type == AuthType::oauth;
  if (oauth) {
    need(out.client_id, "client_id", "with type: oauth");
    need(out.client_secret, "client_secret", "with type: oauth");
  }
  if (!oauth && auth.contains("grant")) problems.push_back({"/auth/grant", "grant applies to type: oauth only"});
  const char* needed_for = oauth ? "with grant: password" : "with type: basic";
  if (!oauth || out.grant == Grant::password) {
    need(out.username, "username", needed_for);
    need(out.password, "password", needed_for);
  }
}

void read_http(const nlohmann::json& c, HttpOptions& http) {
  http.timeout = std::chrono::seconds(number_at(c, "timeout_seconds", 15));
  http.connect_timeout = std::min<std::chrono::milliseconds>(http.timeout, std::chrono::seconds(5));
  http.ca_file = text_at(c, "ca_file");
  http.max_attempts = 1;  // the host's outbox retries, with its back-off
}

void read_events(const nlohmann::json& c, std::set<std::string>& events, Problems& problems) {
  const auto found = c.find("events");
  if (found == c.end() || !found->is_array()) {
    events = {"issued", "renewed", "failed", "revoked", "expiring", "expired"};
    return;
  }
  for (const auto& e : *found)
    if (e.is_string()) events.insert(e.get<std::string>());
  if (events.empty()) problems.push_back({"/events", "name at least one event type, or leave events out for all"});
}

void check_name(const std::string& value, const std::string& pointer, Problems& problems) {
  if (!is_name(value)) problems.push_back({pointer, "\"" + value + "\": use letters, digits and _ only"});
}

void check_choice(const std::string& value, const std::string& pointer, Problems& problems) {
  if (!is_choice(value)) problems.push_back({pointer, "\"" + value + "\": use a choice value such as \"3\""});
}

void check_sys_id(const std::string& value, const std::string& pointer, Problems& problems) {
  if (!value.empty() && !is_sys_id(value)) problems.push_back({pointer, "\"" + value + "\" is not a sys_id (32 hex digits)"});
}

void read_ticket(const nlohmann::json& t, TicketConfig& out, Problems& problems) {
  out.table = text_at(t, "table", out.table);
  out.task_table = text_at(t, "task_table", out.task_table);
  out.complete_state = text_at(t, "complete_state", out.complete_state);
  out.incomplete_state = text_at(t, "incomplete_state", out.incomplete_state);
  out.attach_certificate = flag_at(t, "attach_certificate", out.attach_certificate);
  out.correlation_display = text_at(t, "correlation_display", out.correlation_display);
  check_name(out.table, "/ticket/table", problems);
  check_name(out.task_table, "/ticket/task_table", problems);
  check_choice(out.complete_state, "/ticket/complete_state", problems);
  check_choice(out.incomplete_state, "/ticket/incomplete_state", problems);
}

std::map<std::string, std::string> read_label_map(const nlohmann::json& i, const char* key, Problems& problems) {
  const auto found = i.find(key);
  if (found == i.end() || !found->is_object()) return {{"30d", "3"}, {"7d", "2"}, {"1d", "1"}, {"expired", "1"}};
  std::map<std::string, std::string> out;
  for (const auto& [label, value] : found->items()) {
    const auto text = scalar_text(value);
    const std::string pointer = std::string("/incidents/") + key + "/" + label;
    if (text && is_choice(*text)) out[label] = *text;
    else problems.push_back({pointer, "must be a choice value such as \"2\""});
  }
  return out;
}

void read_incidents(const nlohmann::json& i, IncidentConfig& out, Problems& problems) {
  out.enabled = flag_at(i, "enabled", false);
  out.assignment_group = text_at(i, "assignment_group");
  out.caller_id = text_at(i, "caller_id");
  out.category = text_at(i, "category");
  out.urgency = read_label_map(i, "urgency", problems);
  out.impact = read_label_map(i, "impact", problems);
  out.resolved_state = text_at(i, "resolved_state", out.resolved_state);
  out.close_code = text_at(i, "close_code", out.close_code);
  check_sys_id(out.assignment_group, "/incidents/assignment_group", problems);
  check_sys_id(out.caller_id, "/incidents/caller_id", problems);
  check_choice(out.resolved_state, "/incidents/resolved_state", problems);
}

void read_cmdb(const nlohmann::json& m, CmdbConfig& out, Problems& problems) {
  out.enabled = flag_at(m, "enabled", false);
  out.table = text_at(m, "table", out.table);
  out.key_field = text_at(m, "key_field", out.key_field);
  check_name(out.table, "/cmdb/table", problems);
  check_name(out.key_field, "/cmdb/key_field", problems);
  const auto found = m.find("fields");
  if (found == m.end() || !found->is_object()) {
    out.fields = {{"name", "common_name"},           {"serial_number", "serial"}, {"subject_common_name", "common_name"},
                  {"issuer", "issuer"},              {"valid_from", "not_before"}, {"valid_to", "not_after"},
                  {"fingerprint", "fingerprint_sha256"}, {"owned_by", "owner"}, {"subject_alternative_name", "sans"}};
    return;
  }
  for (const auto& [field, source] : found->items()) {
    const std::string pointer = "/cmdb/fields/" + field;
    const std::string name = source.is_string() ? source.get<std::string>() : "";
    if (!is_name(field)) problems.push_back({pointer, "\"" + field + "\" is not a ServiceNow field name"});
    else if (field == out.key_field) problems.push_back({pointer, "the key field is written by the plugin (signet:<certificate id>)"});
    else if (!cmdb_source_fields().contains(name)) problems.push_back({pointer, "\"" + name + "\" is not a Signet field this plugin knows"});
    else out.fields.emplace_back(field, name);
  }
}

void read_variables(const nlohmann::json& v, std::map<std::string, std::string>& out, Problems& problems) {
  out = {{"common_name", "common_name"}, {"dns", "san_dns"},      {"ttl", "validity"},
         {"profile", "profile"},         {"service", "application"}, {"owner", "owner"},
         {"business_unit", "business_unit"}};
  for (const auto& [field, name] : v.items()) {
    if (!name.is_string()) continue;
    const std::string text = name.get<std::string>();
    if (!text.empty() && !is_name(text)) problems.push_back({"/intake/variables/" + field, "\"" + text + "\" is not a variable name"});
    out[field] = text;
  }
  if (out["common_name"].empty()) problems.push_back({"/intake/variables/common_name", "the common name's variable is required"});
}

void read_intake(const nlohmann::json& i, IntakeConfig& out, Problems& problems) {
  out.enabled = flag_at(i, "enabled", false);
  const auto items = i.find("catalog_items");
  const bool listed = items != i.end() && items->is_array() && !items->empty();
  for (std::size_t n = 0; listed && n < items->size(); ++n) {
    const std::string id = (*items)[n].is_string() ? (*items)[n].get<std::string>() : "";
    if (is_sys_id(id)) out.catalog_items.push_back(lower(id));  // as the instance writes sys_ids
    else problems.push_back({"/intake/catalog_items/" + std::to_string(n), "\"" + id + "\" is not a sys_id (32 hex digits)"});
  }
  if (out.enabled && !listed)
    problems.push_back({"/intake/catalog_items", "name at least one catalogue item (its sys_id) when intake is enabled"});
  out.state = text_at(i, "state", out.state);
  check_choice(out.state, "/intake/state", problems);
  out.require_approval = flag_at(i, "require_approval", out.require_approval);
  out.tenant = text_at(i, "tenant");
  read_variables(child(i, "variables"), out.variables, problems);
  out.default_profile = text_at(i, "default_profile", out.default_profile);
  out.batch = static_cast<std::size_t>(std::max<long long>(1, number_at(i, "batch", 20)));
}

}  // namespace

std::string IncidentConfig::urgency_for(const std::string& label) const {
  const auto found = urgency.find(label);
  return found == urgency.end() ? "3" : found->second;
}

std::string IncidentConfig::impact_for(const std::string& label) const {
  const auto found = impact.find(label);
  return found == impact.end() ? "3" : found->second;
}

const std::set<std::string>& cmdb_source_fields() {
  static const std::set<std::string> kFields = {"common_name", "serial",  "issuer",  "not_before", "not_after",
                                                "fingerprint_sha256", "owner", "business_unit", "sans",
                                                "profile", "service", "ca", "certificate_id", "request_id", "tenant"};
  return kFields;
}

bool is_sys_id(const std::string& text) {
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

Result<ServiceNowConfig> read_config(const nlohmann::json& c) {
  if (!c.is_object()) return config_error("invalid notify-servicenow configuration", "", "the config must be a mapping");
  ServiceNowConfig out;
  Problems problems;
  out.instance_url = text_at(c, "instance_url");
  while (out.instance_url.ends_with("/")) out.instance_url.pop_back();
  if (auto problem = instance_problem(out.instance_url)) problems.push_back({"/instance_url", *problem});
  read_auth(child(c, "auth"), out.auth, problems);
  read_http(c, out.http);
  read_events(c, out.events, problems);
  read_ticket(child(c, "ticket"), out.ticket, problems);
  read_incidents(child(c, "incidents"), out.incidents, problems);
  read_cmdb(child(c, "cmdb"), out.cmdb, problems);
  read_intake(child(c, "intake"), out.intake, problems);
  if (problems.empty()) return out;
  Error error = make_error(ErrorCode::invalid_config, "invalid notify-servicenow configuration");
  error.problems = std::move(problems);
  return error;
}

}  // namespace signet::servicenow
