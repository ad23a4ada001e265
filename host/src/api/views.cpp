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
  const bool recorded = !q.transient.certificate_pem.empty();  // by this run's record step
  return {{"id", q.certificate_id},
          {"request_id", q.id},
          {"status", "active"},
          {"serial", q.state.serial},
          {"common_name", q.input.value("common_name", "")},
          {"not_before", q.state.not_before},
          {"not_after", q.state.not_after},
          {"certificate", recorded ? q.transient.certificate_pem : q.state.certificate_pem},
          {"chain", recorded ? q.transient.chain : q.state.chain}};
}

nlohmann::json optional_text(const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); }
nlohmann::json optional_time(const std::optional<TimePoint>& t) { return t ? nlohmann::json(to_rfc3339(*t)) : nlohmann::json(nullptr); }

namespace {

// Past notAfter reads as expired even before the lifecycle job marked it.
std::string shown_status(const CertificateRow& c) {
  return c.status == "active" && c.not_after <= Clock::now() ? "expired" : c.status;
}

nlohmann::json renewal_view(const CertificateRow& c) {
  return {{"count", c.renewal_count},
          {"request_id", optional_text(c.renewal_request_id)},
          {"failed_attempts", c.renewal_attempts},
          {"last_attempt_at", optional_time(c.last_renewal_attempt_at)},
          {"next_attempt_at", optional_time(c.next_renewal_attempt_at)},
          {"error", optional_text(c.renewal_error)}};
}

}  // namespace

nlohmann::json certificate_view(const CertificateRow& c, bool with_pem) {
  nlohmann::json view = {{"id", c.id},
                         {"request_id", c.request_id},
                         {"status", shown_status(c)},
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
                         {"renewed_by", optional_text(c.renewed_by)},
                         {"service", optional_text(c.service)},
                         {"auto_renew", c.auto_renew},
                         {"not_after_use", optional_time(c.not_after_use)},
                         {"renewal", renewal_view(c)},
                         {"updated_at", to_rfc3339(c.updated_at)}};
  if (with_pem) {
    view["certificate"] = c.certificate_pem;
    view["chain"] = pkix::certificate_pem_blocks(c.chain_pem);
  }
  return view;
}

}  // namespace signet::host
