// Every refusal goes into the audit log (see RefusalObserver): who (if
// known), from where, what they tried and why it was refused.
#include "api/api.hpp"
#include "db/audit.hpp"

namespace signet::host {
namespace {

const char* outcome_of(unsigned status) {
  if (status == 401 || status == 403) return "denied";
  return status < 500 ? "refused" : "error";
}

}  // namespace

RefusalObserver audit_refusals(Database& db, signet::Logger& log) {
  return [&db, &log](const RequestContext& context, const std::string& action, const HttpResponseMessage& response) {
    const nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
    const std::string code = body.is_object() ? body.value("error", nlohmann::json::object()).value("code", "") : "";
    const Principal* p = context.principal ? &*context.principal : nullptr;
    AuditRecord record{p ? p->tenant_id : "",
                       p ? p->id : "",
                       p ? p->auth : "",
                       context.remote,
                       action,
                       context.param("id"),
                       outcome_of(response.result_int()),
                       context.request_id,
                       {{"status", response.result_int()},
                        {"code", code},
                        {"method", std::string(context.message.method_string())},
                        {"path", context.path.substr(0, 200)}}};
    // The refusal is answered either way: nothing happened that the log would miss.
    if (auto written = append_audit(db, record); !written)
      log.error("cannot write the audit record of a refusal",
                {{"request_id", context.request_id}, {"error", written.error().message}});
  };
}

}  // namespace signet::host
