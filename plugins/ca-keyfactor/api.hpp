// One of the two APIs ca-keyfactor speaks (command_api.cpp, ejbca_api.cpp)
// behind the CertificateAuthority the host sees (plugin.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <signet/sdk.hpp>

#include "connection.hpp"

namespace signet::keyfactor {

class CaApi {
 public:
  virtual ~CaApi() = default;
  virtual Result<SignOutcome> sign(const SignRequest& request) = 0;
  virtual Result<RevokeOutcome> revoke(const RevokeRequest& request) = 0;
  // The CA's chain, issuing CA first, root last.
  virtual Result<std::vector<std::string>> chain() = 0;
  // One cheap call that shows the server answers and takes Signet's credentials.
  virtual Result<void> check() = 0;
};

std::unique_ptr<CaApi> make_command_api(const KeyfactorConfig& config, Connection& connection, HostServices& services);
std::unique_ptr<CaApi> make_ejbca_api(const KeyfactorConfig& config, Connection& connection, HostServices& services);

// Shared by both: a CSR that parses and whose self-signature holds (unless
// the host says it checked it), so a damaged one is refused for good
// instead of meeting a server's 500.
Result<void> check_csr(const SignRequest& request);
// Shared by both: the certificate a CA returned, checked against the
// request's CSR and put with its chain (issuing CA first, root left out).
Result<IssuedCertificate> issued_for(const SignRequest& request, const std::string& leaf_pem,
                                     const std::vector<std::string>& pool);
// The chain in `chain_file`, issuing CA first; empty when none is configured.
Result<std::vector<std::string>> chain_from_file(const std::string& chain_file);
// A ticket "<kind>:<value>#<polls>" taken apart; nullopt for another plugin's.
struct Ticket {
  std::string kind, value;
  int polls = 0;
};
std::optional<Ticket> parse_ticket(const std::string& text);
std::string ticket_text(const Ticket& ticket);
// A pending ticket's value carries when it began ("...@<Unix seconds>"), so
// the wait is measured in time, whatever the host's polling pace.
std::string since_now(const std::string& value, HostServices& services);
// `when` in UTC with strftime's `format` ("%Y-%m-%dT%H:%M:%SZ" for RFC 3339).
std::string utc_text(std::chrono::system_clock::time_point when, const char* format);
std::string upper_case(std::string text);
// Now, RFC 3339 in UTC to the second ("2026-12-07T10:00:00Z").
std::string rfc3339_now(HostServices& services);
bool waited_a_week(const std::string& value, HostServices& services);

}  // namespace signet::keyfactor
