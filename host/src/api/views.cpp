#include "api/views.hpp"

#include <pkix/pem.hpp>

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
          {"certificate", q.transient.value("certificate_pem", q.state.value("certificate_pem", ""))},
          {"chain", q.transient.value("chain", q.state.value("chain", nlohmann::json::array()))}};
}

namespace {

nlohmann::json optional_text(const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); }

}  // namespace

nlohmann::json certificate_view(const CertificateRow& c, bool with_pem) {
  nlohmann::json view = {{"id", c.id},
                         {"request_id", c.request_id},
                         {"status", c.status},
                         {"serial", c.serial},
                         {"ca", c.ca},
                         {"common_name", c.common_name},
                         {"sans", c.sans},
                         {"profile", c.profile},
                         {"not_before", to_rfc3339(c.not_before)},
                         {"not_after", to_rfc3339(c.not_after)},
                         {"metadata", c.metadata},
                         {"created_at", to_rfc3339(c.created_at)},
                         {"revoked_at", c.revoked_at ? nlohmann::json(to_rfc3339(*c.revoked_at)) : nlohmann::json(nullptr)},
                         {"revocation_reason", optional_text(c.revocation_reason)},
                         {"renews", optional_text(c.renews)},
                         {"renewed_by", optional_text(c.renewed_by)}};
  if (with_pem) {
    view["certificate"] = c.certificate_pem;
    view["chain"] = pkix::certificate_pem_blocks(c.chain_pem);
  }
  return view;
}

}  // namespace signet::host
