// A CA's delegated OCSP responder (RFC 6960 §4.2.2.2): a key made in a
// `keys` instance, certified by the CA with id-kp-OCSPSigning and
// ocsp-nocheck, kept in the database and renewed before it expires.
#pragma once

#include <memory>
#include <string>

#include <signet/keys.hpp>
#include <signet/services.hpp>

#include <pkix/ocsp.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "plugins/instances.hpp"
#include "util/time.hpp"

namespace signet::host {

struct OcspSigner {
  std::string ca;
  std::shared_ptr<KeyProvider> keys;
  std::string key_id;
  SignatureAlgorithm algorithm = SignatureAlgorithm::ecdsa_sha256;
  pkix::OcspResponderId id;  // as it appears in every answer
  TimePoint not_after;
};

// The keys instance that holds responder keys: revocation.ocsp.keys, or
// the only keys instance there is. Error{invalid_argument} saying why not.
Result<std::string> ocsp_keys_instance(const PluginInstances& instances, const RevocationConfig& config);

// Whether the signer is within revocation.ocsp.signer_renew_before of its end.
bool ocsp_signer_due(const OcspSigner& signer, const RevocationConfig& config, TimePoint now);

// The CA's current signer: the stored one, or, when there is none or it is
// due, a new one (a fresh key, certified by the CA, stored).
Result<std::shared_ptr<const OcspSigner>> ensure_ocsp_signer(Database& db, const PluginInstances& instances,
                                                              const RevocationConfig& config, const std::string& ca,
                                                              TimePoint now, signet::Logger& log);

}  // namespace signet::host
