#include "api/views.hpp"

namespace signet::host {

nlohmann::json request_view(const RequestRecord& q) {
  nlohmann::json error = nullptr;
  if (!q.error_code.empty()) error = {{"code", q.error_code}, {"message", q.error_message}};
  return {{"request_id", q.id},
          {"operation", q.operation},
          {"status", to_string(q.status)},
          {"step", q.step},
          {"attempts", q.attempts},
          {"certificate_id", q.certificate_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.certificate_id)},
          {"error", error},
          {"created_at", to_rfc3339(q.created_at)},
          {"updated_at", to_rfc3339(q.updated_at)}};
}

nlohmann::json issued_view(const RequestRecord& q) {
  return {{"id", q.certificate_id},
          {"request_id", q.id},
          {"status", "active"},
          {"serial", q.state.value("serial", "")},
          {"common_name", q.input.value("common_name", "")},
          {"not_before", q.state.value("not_before", "")},
          {"not_after", q.state.value("not_after", "")},
          {"certificate", q.state.value("certificate_pem", "")},
          {"chain", q.state.value("chain", nlohmann::json::array())}};
}

}  // namespace signet::host
