// JSON shapes of API objects (../docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include "db/certificates.hpp"
#include "db/requests.hpp"

namespace signet::host {

nlohmann::json request_view(const RequestRecord& q);
nlohmann::json issued_view(const RequestRecord& q);  // the 201 body of an issuance
// A certificate; with_pem adds `certificate` and `chain` (GET by id).
nlohmann::json certificate_view(const CertificateRow& c, bool with_pem);

// null for an empty text or an absent time, as every view shows them.
nlohmann::json optional_text(const std::string& text);
nlohmann::json optional_time(const std::optional<TimePoint>& t);


}  // namespace signet::host
