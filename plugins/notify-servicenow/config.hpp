// The notify-servicenow instance config (docs/plugins/notify-servicenow.md,
// "Configuration"), with every default filled in.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/services.hpp>

namespace signet::servicenow {

enum class AuthType { oauth, basic };
enum class Grant { client_credentials, password };

// Credentials arrive resolved (the host expands ${env:} and ${file:}); they
// are never logged and never put in an Error.
struct AuthConfig {
  AuthType type = AuthType::oauth;
  Grant grant = Grant::client_credentials;
  std::string client_id;
  std::string client_secret;
  std::string username;
  std::string password;
};

// Write-back to the request item (RITM) a request came from.
struct TicketConfig {
  std::string table = "sc_req_item";
  std::string task_table = "sc_task";  // closed instead of the RITM: the Task Closer rule overrides a RITM's own state
  std::string complete_state = "3";    // Closed Complete
  std::string incomplete_state = "4";  // Closed Incomplete
  bool attach_certificate = true;
  std::string correlation_display = "Signet";
};

// One open incident per certificate for expiry warnings and failed renewals.
struct IncidentConfig {
  bool enabled = false;
  std::string assignment_group;  // sys_id; "" = not set
  std::string caller_id;         // sys_id; "" = not set
  std::string category;
  std::map<std::string, std::string> urgency;  // warning label ("7d", "expired", "renewal_failed") -> urgency
  std::map<std::string, std::string> impact;
  std::string resolved_state = "6";
  std::string close_code = "Solved (Permanently)";

  // The value for a warning label; "3" (low) when the map has none.
  std::string urgency_for(const std::string& label) const;
  std::string impact_for(const std::string& label) const;
};

// One configuration item per certificate, keyed by "signet:<certificate id>".
struct CmdbConfig {
  bool enabled = false;
  std::string table = "cmdb_ci_certificate";
  std::string key_field = "correlation_id";
  std::vector<std::pair<std::string, std::string>> fields;  // ServiceNow field -> Signet field
};

// Pull intake: catalogue request items Signet fetches and turns into requests.
struct IntakeConfig {
  bool enabled = false;
  std::vector<std::string> catalog_items;  // cat_item sys_ids
  std::string state = "1";
  bool require_approval = true;
  std::string tenant;
  std::map<std::string, std::string> variables;  // Signet field -> catalogue variable; "" = not read
  std::string default_profile = "default";
  std::size_t batch = 20;
};

struct ServiceNowConfig {
  std::string instance_url;  // "https://example.service-now.com", no trailing slash
  AuthConfig auth;
  HttpOptions http;
  std::set<std::string> events;  // event type names delivered
  TicketConfig ticket;
  IncidentConfig incidents;
  CmdbConfig cmdb;
  IntakeConfig intake;
};

// The Signet fields a CMDB mapping may name (cmdb.fields values).
const std::set<std::string>& cmdb_source_fields();

// Reads and checks the instance's config (the schema has checked shapes);
// Error{invalid_config} with one ConfigProblem (JSON pointer) per problem.
Result<ServiceNowConfig> read_config(const nlohmann::json& config);

// A ServiceNow sys_id: 32 hexadecimal digits. Anything else is refused
// before it reaches a URL path or an encoded query.
bool is_sys_id(const std::string& text);

}  // namespace signet::servicenow
