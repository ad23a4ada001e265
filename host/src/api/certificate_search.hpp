// Reading GET /v1/certificates' filters: explicit parameters first, then
// what a natural-language `q` adds (api/certificate_search.cpp).
#pragma once

#include <optional>
#include <string>

#include "api/api.hpp"
#include "db/certificates.hpp"

namespace signet::host {

struct CertificateSearch {
  CertificateFilter filter;
  std::string tenant;  // a slug; "" for the caller's own
  std::string curve;   // P-256, P-384, P-521: an ECDSA key of that size
  std::optional<int> expiring_within_days;
};

// A refusal for a malformed parameter, never a silently ignored one.
std::optional<HostError> read_certificate_search(const RequestContext& context, const ApiDependencies& deps,
                                                 CertificateSearch& search, TimePoint now);

}  // namespace signet::host
