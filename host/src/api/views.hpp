// JSON shapes of API objects (../docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include "pipeline/request.hpp"

namespace signet::host {

nlohmann::json request_view(const RequestRecord& q);
nlohmann::json issued_view(const RequestRecord& q);  // the 201 body of an issuance

}  // namespace signet::host
