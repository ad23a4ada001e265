// TLS client certificates as identities. A certificate that chains to a
// configured anchor (checked by OpenSSL in the handshake), is within its
// validity, is not revoked in Signet's own records and names a known
// tenant becomes a service principal: spiffe://<tenant>/<service> from its
// URI SAN, or its CN as the service of a configured tenant.
#pragma once

#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "auth/token_cache.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "auth/credentials.hpp"

namespace signet::host {

class ClientCertificates {
 public:
  // `cas`: the CA instances whose records say whether a certificate is revoked.
  ClientCertificates(Database& db, ClientAuthConfig config, std::vector<std::string> cas, TokenCache& cache)
      : db_(db), config_(std::move(config)), cas_(std::move(cas)), cache_(cache) {}

  // Error{unauthenticated} saying what is wrong with the certificate.
  Result<Principal> authenticate(const PeerCertificate& peer);

 private:
  Result<Principal> identify(const PeerCertificate& peer, const std::string& common_name);
  Result<bool> revoked(const std::string& serial_hex);

  Database& db_;
  const ClientAuthConfig config_;
  const std::vector<std::string> cas_;
  TokenCache& cache_;  // by certificate fingerprint: a revocation takes hold within its TTL
};

}  // namespace signet::host
