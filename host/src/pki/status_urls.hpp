// The URLs of a CA's revocation status and certificate under /pki, as the
// host serves them and writes them into certificates.
#pragma once

#include <string>

#include <signet/ca.hpp>

#include "config/config.hpp"

namespace signet::host {

// Paths under /pki/<ca>: the CRL of shard 0 is /crl, shard k is /crl/k;
// their delta CRLs /delta-crl and /delta-crl/k.
std::string crl_path(const std::string& ca, int shard, bool delta);

// What a certificate of `ca` in CRL shard `shard` links to (the OCSP
// responder only when `ocsp`: the host answers OCSP for the CA); all empty
// without a revocation.base_url (the host would not know its public name).
StatusUrls status_urls_for(const RevocationConfig& config, const std::string& ca, int shard, bool ocsp);

// The shard a new certificate goes to: 0 without sharding, otherwise 1..N
// picked from the request id (stable across retries of the request).
int crl_shard_for(const RevocationConfig& config, const std::string& request_id);

}  // namespace signet::host
