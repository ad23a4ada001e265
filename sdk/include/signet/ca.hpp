// Kind `ca`: turns a CSR and a profile into a certificate, now or later.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
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

// Where relying parties learn a certificate's status (RFC 5280 §4.2.1.13,
// §4.2.2.1). An empty string: no such URL.
struct StatusUrls {
  std::string crl;         // CRL distribution point
  std::string ocsp;        // AIA id-ad-ocsp
  std::string ca_issuers;  // AIA id-ad-caIssuers: the issuing CA's certificate
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
  // The URLs the host serves this CA's CRL, OCSP and certificate at, for
  // the certificate's CRL distribution point and AIA. Empty for a CA that
  // announces SIGNET_CAP_CA_PUBLISHES_STATUS (it links its own).
  StatusUrls status_urls;
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

// One revokedCertificates entry (RFC 5280 §5.1.2.6, §5.3). Compact on
// purpose: a CRL may hold millions.
struct CrlEntry {
  std::array<std::uint8_t, 20> serial{};  // big-endian magnitude, in the first serial_size octets
  std::uint8_t serial_size = 0;
  RevocationReason reason = RevocationReason::unspecified;
  std::int64_t revoked_at = 0;       // Unix seconds
  std::int64_t invalidity_date = 0;  // Unix seconds; 0: none (§5.3.2)
};

// A CRL for the CA to sign: the host keeps the revocations and the
// numbering, the CA its key and the encoding.
struct CrlRequest {
  std::uint64_t number = 0;                 // cRLNumber (§5.2.3), increasing across full and delta CRLs
  std::optional<std::uint64_t> delta_base;  // set: a delta CRL against this full CRL number (§5.2.4)
  std::chrono::system_clock::time_point this_update, next_update;
  std::vector<CrlEntry> entries;
  // Set: this CRL covers only the certificates naming this URL as their
  // distribution point (a shard): a critical issuingDistributionPoint (§5.2.5).
  std::string distribution_point;
  std::string freshest_crl;  // set on a full CRL: where its delta CRLs are (§5.2.6)
  nlohmann::json extensions = nlohmann::json::object();
};

// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2) for a key the
// host made: extended key usage id-kp-OCSPSigning, id-pkix-ocsp-nocheck
// (§4.2.2.2.1), issued directly by this CA.
struct OcspSignerRequest {
  std::string public_key_der;  // SubjectPublicKeyInfo
  std::string common_name;
  std::chrono::system_clock::time_point not_after;
};

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
  // SIGNET_CAP_CA_CRL: the signed CertificateList, DER.
  virtual Result<std::string> sign_crl(const CrlRequest& request) {
    (void)request;
    return make_error(ErrorCode::unsupported, "CRLs are not supported");
  }
  // SIGNET_CAP_CA_OCSP: the responder certificate, PEM.
  virtual Result<std::string> certify_ocsp_signer(const OcspSignerRequest& request) {
    (void)request;
    return make_error(ErrorCode::unsupported, "OCSP is not supported");
  }
  // SIGNET_CAP_CA_PUBLISHES_STATUS: the CA (a remote one) serves its own
  // CRL and OCSP at these URLs; the host links to them instead.
  virtual Result<StatusUrls> published_status() {
    return make_error(ErrorCode::unsupported, "this CA does not publish its own status");
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
