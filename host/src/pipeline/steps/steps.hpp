// The built-in steps of the issue pipeline, one per phase slot.
#pragma once

#include <memory>

#include <signet/sdk.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "pipeline/keygen_gate.hpp"
#include "pipeline/step.hpp"
#include "plugins/instances.hpp"

namespace signet::host {

// validate: checks the request against its profile (CN, SANs, TTL, key).
std::shared_ptr<Step> make_profile_policy_step(const Config& config);
// keygen: for requests without a CSR, makes the key, stores it in the
// pipeline's store before anything is signed, and derives the CSR from it.
std::shared_ptr<Step> make_keygen_step(std::string instance, std::shared_ptr<SecretStore> store,
                                       std::shared_ptr<KeygenGate> gate);
// sign: asks a ca instance; a Pending answer becomes a waiting request.
// `capabilities`: the CA's; with SIGNET_CAP_CA_LOCAL no checkpoint is needed
// first, with SIGNET_CAP_CA_OCSP certificates link to the host's responder.
// `revocation`: the host publishes this CA's CRL (and OCSP); certificates link
// to the host's URLs and get a CRL shard. Null when the CA publishes its own.
std::shared_ptr<Step> make_sign_step(std::string instance, std::shared_ptr<CertificateAuthority> ca,
                                     std::uint64_t capabilities, const RevocationConfig* revocation);
// store: adds the certificate and chain to the bundle of a key made here;
// `ca` (the pipeline's) gives the chain's root.
std::shared_ptr<Step> make_store_step(std::string instance, std::shared_ptr<SecretStore> store,
                                      std::shared_ptr<CertificateAuthority> ca);
// record: writes the certificate's metadata row.
std::shared_ptr<Step> make_record_step();
// revoke: asks each certificate's issuing CA instance to revoke it.
std::shared_ptr<Step> make_revoke_step(const PluginInstances& instances);
// record (revoke): marks the certificates revoked.
std::shared_ptr<Step> make_record_revocation_step();
// store (revoke): a new version of each revoked certificate's bundle, its
// metadata saying "revoked", where the host made the key.
std::shared_ptr<Step> make_mark_bundles_revoked_step(const PluginInstances& instances);
// notify: records the event for one notifier instance in the outbox
// (notify/outbox.hpp), with the request's other writes.
std::shared_ptr<Step> make_notify_step(std::string instance, std::string base);
// audit: appends the outcome to the audit log.
std::shared_ptr<Step> make_audit_step();

// A plugin's failure as the request records it. A backend that refuses
// Signet's own credentials is an operator's problem, not the API caller's:
// it must not read as the caller's 401/403.
Error plugin_failure(const std::string& instance, Error error);

}  // namespace signet::host
