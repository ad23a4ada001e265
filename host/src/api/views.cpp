#include "api/views.hpp"

#include <pkix/pem.hpp>

namespace signet::host {

namespace {

// What was asked, for people deciding on or following a request: the names
// and profile of an issuance or renewal, the certificates and reason of a
// revocation. Never the CSR, keys or PEMs.
nlohmann::json request_subject(const RequestRecord& q) {
  const nlohmann::json& in = q.input;
  nlohmann::json subject = nlohmann::json::object();
  if (q.operation == "revoke") {
    nlohmann::json certificates = nlohmann::json::array();
    const auto targets = in.find("targets");
    if (targets != in.end() && targets->is_array())
      for (const auto& t : *targets)
        if (t.is_object()) certificates.push_back({{"id", t.value("id", "")}, {"serial", t.value("serial", "")}});
    subject["certificates"] = std::move(certificates);
    subject["reason"] = in.value("reason", "");
    return subject;
  }
  subject["common_name"] = in.value("common_name", "");
  nlohmann::json sans = nlohmann::json::object();
  const auto asked = in.find("sans");
  if (asked != in.end() && asked->is_object())
    for (const auto& [kind, names] : asked->items())
      if (names.is_array() && !names.empty()) sans[kind] = names;
  subject["sans"] = std::move(sans);
  subject["profile"] = in.value("profile", "");
  if (const auto ttl = in.value("ttl_ms", 0LL); ttl > 0) subject["ttl_seconds"] = ttl / 1000;
  for (const char* key : {"service", "renews"})
    if (const auto v = in.value(key, ""); !v.empty()) subject[key] = v;
  return subject;
}

}  // namespace

nlohmann::json request_view(const RequestRecord& q) {
  nlohmann::json error = nullptr;
  if (!q.error_code.empty()) error = {{"code", q.error_code}, {"message", q.error_message}};
  return {{"request_id", q.id},
          {"operation", q.operation},
          {"subject", request_subject(q)},
          {"requested_by", q.principal},
          {"status", to_string(q.status)},
          {"step", q.step},
          {"attempts", q.attempts},
          {"certificate_id", q.certificate_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.certificate_id)},
          {"error", error},
          {"created_at", to_rfc3339(q.created_at)},
          {"updated_at", to_rfc3339(q.updated_at)}};
}

namespace {

// What a ServiceNow flow step (seed 001) reads back, under the names it uses.
void add_flow_fields(nlohmann::json& view, const std::string& base, const std::string& certificate_id,
                     const std::string& serial, const std::string& not_after) {
  view["certificate_id"] = certificate_id;
  view["serial_number"] = serial;
  view["expiration"] = not_after;
  view["download_url"] = certificate_download_url(base, certificate_id);
}

nlohmann::json approval_view(const ApprovalState& a, const std::vector<ApprovalDecision>& decisions) {
  nlohmann::json made = nlohmann::json::array();
  for (const auto& d : decisions)
    made.push_back({{"principal", d.principal}, {"decision", d.decision}, {"comment", d.comment},
                    {"decided_at", to_rfc3339(d.decided_at)}});
  return {{"min_approvals", a.min_approvals}, {"approvers", a.approvers}, {"self_approval", a.self_approval},
          {"from", optional_text(a.from)}, {"outcome", optional_text(a.outcome)}, {"decisions", made}};
}

}  // namespace

std::string public_base(const Config& config) { return public_base(config.server); }

nlohmann::json request_view(const RequestRecord& q, const std::vector<ApprovalDecision>& decisions) {
  nlohmann::json view = request_view(q);
  if (q.state.approval) {
    view["approval"] = approval_view(*q.state.approval, decisions);
    if (q.status == RequestStatus::pending_approval) view["approval"]["expires_at"] = to_rfc3339(q.next_attempt_at);
  }
  const auto ref = q.input.find("external_ref");
  if (ref != q.input.end() && ref->is_object()) view["external_ref"] = *ref;
  return view;
}

nlohmann::json issued_view(const RequestRecord& q, const std::string& base) {
  const bool recorded = !q.transient.certificate_pem.empty();  // by this run's record step
  nlohmann::json view = {{"id", q.certificate_id},
                         {"request_id", q.id},
                         {"status", "active"},
                         {"serial", q.state.serial},
                         {"common_name", q.input.value("common_name", "")},
                         {"not_before", q.state.not_before},
                         {"not_after", q.state.not_after},
                         {"certificate", recorded ? q.transient.certificate_pem : q.state.certificate_pem},
                         {"chain", recorded ? q.transient.chain : q.state.chain}};
  add_flow_fields(view, base, q.certificate_id, q.state.serial, q.state.not_after);
  return view;
}

nlohmann::json issued_view(const CertificateRow& c, const std::string& base) {
  nlohmann::json view = certificate_view(c, true);
  add_flow_fields(view, base, c.id, c.serial, to_rfc3339(c.not_after));
  return view;
}

nlohmann::json pending_view(const RequestRecord& q, const std::string& base) {
  const std::string certificate_id = q.certificate_id.empty() ? q.state.certificate_id : q.certificate_id;
  nlohmann::json view = {{"request_id", q.id},
                         {"status", q.status == RequestStatus::pending_approval ? "pending_approval" : "pending"},
                         {"certificate_id", optional_text(certificate_id)}};
  if (!certificate_id.empty()) view["download_url"] = certificate_download_url(base, certificate_id);
  if (q.status == RequestStatus::pending_approval) view["approval_expires_at"] = to_rfc3339(q.next_attempt_at);
  return view;
}

nlohmann::json optional_text(const std::string& text) { return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text); }
nlohmann::json optional_time(const std::optional<TimePoint>& t) { return t ? nlohmann::json(to_rfc3339(*t)) : nlohmann::json(nullptr); }

// Past notAfter reads as expired even before the lifecycle job marked it.
std::string shown_status(const CertificateRow& c, TimePoint now) {
  return c.status == "active" && c.not_after <= now ? "expired" : c.status;
}

namespace {

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
                         {"status", shown_status(c, Clock::now())},
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
                         {"key_type", optional_text(c.key_type)},
                         {"key_bits", c.key_bits ? nlohmann::json(c.key_bits) : nlohmann::json(nullptr)},
                         {"updated_at", to_rfc3339(c.updated_at)}};
  if (with_pem) {
    view["certificate"] = c.certificate_pem;
    view["chain"] = pkix::certificate_pem_blocks(c.chain_pem);
  }
  return view;
}

}  // namespace signet::host
