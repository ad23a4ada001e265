// JSON shapes of API objects (../docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "db/approvals.hpp"
#include "db/certificates.hpp"
#include "db/requests.hpp"

namespace signet::host {

nlohmann::json request_view(const RequestRecord& q);
// With what it waits for: the approval rule and the decisions so far.
nlohmann::json request_view(const RequestRecord& q, const std::vector<ApprovalDecision>& decisions);
// The 201 body of an issuance. `base` is how clients reach this host (public_base()).
nlohmann::json issued_view(const RequestRecord& q, const std::string& base);
// The same for a certificate issued earlier (a repeated external reference).
nlohmann::json issued_view(const CertificateRow& c, const std::string& base);
// The 202 body of a request still under way (or held for approval).
nlohmann::json pending_view(const RequestRecord& q, const std::string& base);
// server.public_url, or https://<listen>.
std::string public_base(const Config& config);
// A certificate; with_pem adds `certificate` and `chain` (GET by id).
nlohmann::json certificate_view(const CertificateRow& c, bool with_pem);
// The status a certificate is shown with: "expired" once past notAfter,
// even before the lifecycle job marked it.
std::string shown_status(const CertificateRow& c, TimePoint now);

// null for an empty text or an absent time, as every view shows them.
nlohmann::json optional_text(const std::string& text);
nlohmann::json optional_time(const std::optional<TimePoint>& t);


}  // namespace signet::host
