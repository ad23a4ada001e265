// The host's own HTTPS certificate from one of Signet's CAs (automatic TLS
// with an internal CA): clients trust the CA's root, written to ca.pem.
#pragma once

#include <string>
#include <vector>

#include <signet/ca.hpp>

#include "util/time.hpp"

namespace signet::host {

struct HostCertificateRequest {
  std::string data_dir;
  std::string ca_name;
  std::string tenant_id;
  std::vector<std::string> dns, ip;  // the names the host is reached by
};

// Reuses <data_dir>/tls/server.{crt,key} while they were issued by the CA's
// current issuing certificate and have more than a third of their life
// left; otherwise asks the CA for a new 90-day certificate. Writes the CA's
// root to <data_dir>/ca.pem either way.
Result<void> ensure_ca_issued_certificate(CertificateAuthority& ca, const HostCertificateRequest& request,
                                          TimePoint now);

}  // namespace signet::host
