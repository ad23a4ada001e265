// Kind `ca`: turns a CSR and a profile into a certificate, now or later.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include <signet/plugin.hpp>

namespace signet {

struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> ip;
  std::vector<std::string> email;
  std::vector<std::string> uri;
};

// The profile as the host resolved it. The host has already checked the
// request against it; a CA enforces what it signs against it as well.
struct IssuancePolicy {
  std::string profile;
  std::vector<std::string> key_usage;           // "digital_signature", ...
  std::vector<std::string> extended_key_usage;  // "server_auth", ...
  std::chrono::seconds max_ttl{0};
};

struct SignRequest {
  std::string request_id;  // stable across retries: the idempotency key
  std::string tenant;
  std::string csr_pem;
  std::string common_name;
  SubjectAltNames sans;
  std::chrono::seconds ttl{0};
  IssuancePolicy policy;
  nlohmann::json metadata = nlohmann::json::object();  // requester, ticket, ...
  // Empty on the first attempt; afterwards the ticket of the last Pending.
  std::string ticket;
  nlohmann::json extensions = nlohmann::json::object();  // reserved for minor versions
};

// SignRequest::extensions key: true when the host has already checked the
// CSR's self-signature (proof of possession, RFC 2986 §3) in this process,
// so a CA plugin may skip checking it again. Absent means unchecked.
inline constexpr const char* kSignExtensionCsrVerified = "csr_verified";

struct IssuedCertificate {
  std::string certificate_pem;
  std::vector<std::string> chain_pem;  // issuing CA first, root excluded
};

// "Ask me again later": the host persists the ticket, and calls again with
// it no earlier than retry_after. A plugin never sleeps or polls itself.
struct Pending {
  std::string ticket;
  std::chrono::seconds retry_after{30};
};

using SignOutcome = std::variant<IssuedCertificate, Pending>;

// RFC 5280 §5.3.1 CRLReason values.
enum class RevocationReason : int {
  unspecified = 0, key_compromise = 1, ca_compromise = 2,
  affiliation_changed = 3, superseded = 4, cessation_of_operation = 5,
  certificate_hold = 6, privilege_withdrawn = 9, aa_compromise = 10,
};

struct RevokeRequest {
  std::string request_id;
  std::string tenant;
  std::string serial_hex;
  std::string certificate_pem;
  RevocationReason reason = RevocationReason::unspecified;
  std::string ticket;
  nlohmann::json extensions = nlohmann::json::object();
};

struct Revoked {};

struct CaInit {
  bool on_start = false;
};

// `signet ca import`: an existing CA to sign with. The plugin hands the key
// to its `keys` instance at once and keeps no copy.
struct CaImport {
  std::vector<std::string> chain_pem;  // the issuing CA first, up to the root
  std::string private_key_pem;         // the issuing CA's key
};
using RevokeOutcome = std::variant<Revoked, Pending>;

class SIGNET_SDK_API CertificateAuthority : public Plugin {
 public:
  // Required core.
  virtual Result<SignOutcome> sign(const SignRequest& request) = 0;
  // The issuing CA's chain, issuing certificate first, root last.
  virtual Result<std::vector<std::string>> chain() = 0;

  // Optional, announced by capability bits in the descriptor. The host
  // calls them only on plugins that announce them.
  virtual Result<RevokeOutcome> revoke(const RevokeRequest&) {  // SIGNET_CAP_CA_REVOKE
    return make_error(ErrorCode::unsupported, "revocation is not supported");
  }
  virtual Result<std::string> crl_der() {  // SIGNET_CAP_CA_CRL
    return make_error(ErrorCode::unsupported, "CRLs are not supported");
  }
  virtual Result<std::string> ocsp(const std::string& der_request) {  // SIGNET_CAP_CA_OCSP
    (void)der_request;
    return make_error(ErrorCode::unsupported, "OCSP is not supported");
  }
  // SIGNET_CAP_CA_MANAGE: creates the CA's keys and certificates when they
  // do not exist yet, and returns the chain either way. The host calls it at
  // start (on_start = true; the plugin's config decides whether a missing CA
  // is created then or is an error) and for `signet ca init`.
  virtual Result<std::vector<std::string>> initialize(const CaInit& request) {
    (void)request;
    return make_error(ErrorCode::unsupported, "this CA cannot be initialised by Signet");
  }
  // SIGNET_CAP_CA_MANAGE: adopts an existing CA. Error{conflict} when the
  // instance already has one.
  virtual Result<std::vector<std::string>> import_ca(const CaImport& request) {
    (void)request;
    return make_error(ErrorCode::unsupported, "this CA cannot import a CA");
  }
};

}  // namespace signet
