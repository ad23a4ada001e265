// notify-servicenow: certificate outcomes written back to ServiceNow, and
// catalogue requests pulled in (docs/plugins/notify-servicenow.md).
#include "servicenow.hpp"

namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "instance_url": {"type": "string", "minLength": 1, "description": "https://<instance>.service-now.com (http:// only to this machine)"},
    "auth": {"type": "object", "properties": {
      "type": {"type": "string", "enum": ["oauth", "basic"]},
      "grant": {"type": "string", "enum": ["client_credentials", "password"], "description": "oauth only (default client_credentials)"},
      "client_id": {"type": "string", "minLength": 1},
      "client_secret": {"type": "string", "minLength": 1, "description": "use ${env:...} or ${file:...}"},
      "username": {"type": "string", "minLength": 1, "description": "basic, or oauth with grant: password"},
      "password": {"type": "string", "minLength": 1, "description": "use ${env:...} or ${file:...}"}},
      "required": ["type"],
      "additionalProperties": false},
    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 120, "description": "per call (default 15)"},
    "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle for the instance's TLS; default the system store"},
    "events": {"type": "array", "items": {"type": "string",
      "enum": ["issued", "renewed", "failed", "revoked", "expiring", "expired"]},
      "description": "event types delivered (default: all six)"},
    "ticket": {"type": "object", "properties": {
      "table": {"type": "string", "minLength": 1, "description": "the request item table (default sc_req_item)"},
      "task_table": {"type": "string", "minLength": 1, "description": "catalogue tasks closed instead of the item (default sc_task)"},
      "complete_state": {"type": "string", "minLength": 1, "description": "default \"3\" (Closed Complete)"},
      "incomplete_state": {"type": "string", "minLength": 1, "description": "default \"4\" (Closed Incomplete)"},
      "attach_certificate": {"type": "boolean", "description": "attach the certificate and chain as PEM (default true)"},
      "correlation_display": {"type": "string", "minLength": 1, "description": "default Signet"}},
      "additionalProperties": false},
    "incidents": {"type": "object", "properties": {
      "enabled": {"type": "boolean", "description": "one incident per expiring certificate (default false)"},
      "assignment_group": {"type": "string", "description": "sys_id of a group, or empty"},
      "caller_id": {"type": "string", "description": "sys_id of a user, or empty"},
      "category": {"type": "string"},
      "urgency": {"type": "object", "additionalProperties": true, "description": "warning label (30d, 7d, 1d, expired, renewal_failed) to urgency; default 3"},
      "impact": {"type": "object", "additionalProperties": true, "description": "warning label to impact; default 3"},
      "resolved_state": {"type": "string", "minLength": 1, "description": "default \"6\" (Resolved)"},
      "close_code": {"type": "string", "minLength": 1, "description": "default Solved (Permanently)"}},
      "additionalProperties": false},
    "cmdb": {"type": "object", "properties": {
      "enabled": {"type": "boolean", "description": "one configuration item per certificate (default false)"},
      "table": {"type": "string", "minLength": 1, "description": "default cmdb_ci_certificate"},
      "key_field": {"type": "string", "minLength": 1, "description": "holds signet:<certificate id> (default correlation_id)"},
      "fields": {"type": "object", "additionalProperties": true, "description": "ServiceNow field to Signet field"}},
      "additionalProperties": false},
    "intake": {"type": "object", "properties": {
      "enabled": {"type": "boolean", "description": "pull catalogue request items (default false)"},
      "catalog_items": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "cat_item sys_ids"},
      "state": {"type": "string", "minLength": 1, "description": "item state that means ready for Signet (default \"1\")"},
      "require_approval": {"type": "boolean", "description": "only approved items (default true)"},
      "tenant": {"type": "string", "description": "tenant slug of the requests (default: the default tenant)"},
      "variables": {"type": "object", "properties": {
        "common_name": {"type": "string", "minLength": 1},
        "dns": {"type": "string", "description": "names separated by commas, spaces or new lines"},
        "ttl": {"type": "string"},
        "profile": {"type": "string"},
        "service": {"type": "string"},
        "owner": {"type": "string"},
        "business_unit": {"type": "string"}},
        "additionalProperties": false,
        "description": "Signet field to catalogue variable name; empty: not read"},
      "default_profile": {"type": "string", "minLength": 1, "description": "when the profile variable is empty (default default)"},
      "batch": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "items offered per poll (default 20)"}},
      "additionalProperties": false}
  },
  "required": ["instance_url", "auth"],
  "additionalProperties": false
})json";

signet::Result<std::unique_ptr<signet::Notifier>> make_notifier(const signet::PluginContext& context) {
  auto config = signet::servicenow::read_config(context.config);
  if (!config) return std::move(config).error();
  return std::unique_ptr<signet::Notifier>(
      std::make_unique<signet::servicenow::ServiceNowNotifier>(std::move(config).value(), context.services));
}

}  // namespace

SIGNET_PLUGIN(signet::Notifier, "notify-servicenow", "1.0.0", kSchema, 0, make_notifier)
