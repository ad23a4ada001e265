// End-entity certificates: what a request turns into (the plan), and the
// to-be-signed certificate built from the plan.
#pragma once

#include <string>
#include <vector>

#include <signet/ca.hpp>
#include <pkix/csr.hpp>

#include "config.hpp"
#include "extensions.hpp"
#include "hierarchy.hpp"
#include "tbs.hpp"

namespace signet::ca_internal {

struct LeafPlan {
  TbsBasics basics;
  SubjectAltNames sans;
  std::vector<std::string> key_usage;
  std::vector<std::string> extended_key_usage;
  std::string key_type;  // of the subject key: rsa, ecdsa, ed25519
};

// Checks the request against what this CA signs and decides validity, key
// usage and names. Error{rejected} for a TTL the CA will not sign.
Result<LeafPlan> plan_leaf(const CaConfig& config, const Issuer& issuer, const SignRequest& request,
                           const pkix::CsrInfo& csr, TimePoint now);

Result<pkix::X509Ptr> build_leaf(const LeafPlan& plan, const Issuer& issuer, const Extensions& url_extensions);

}  // namespace signet::ca_internal
