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


}  // namespace signet::host
