// Checks on a to-be-signed end-entity certificate, run before it is signed
// (the idea of Boulder's pre-issuance linting): anything found refuses the
// request, so a malformed certificate never exists.
#pragma once

#include <string>
#include <vector>

#include <pkix/openssl_ptr.hpp>

#include "leaf.hpp"

namespace signet::ca_internal {

// Every problem found, one sentence each; empty when the certificate passes.
std::vector<std::string> lint_leaf(X509* tbs, const X509* issuer, const LeafPlan& plan);

}  // namespace signet::ca_internal
