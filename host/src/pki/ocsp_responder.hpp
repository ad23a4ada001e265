// The OCSP responder (RFC 6960, RFC 5019 profile) of every CA the host
// answers for: answers signed by the CA's delegated responder, kept in
// memory and re-signed before their nextUpdate and as soon as a revocation
// of their certificate shows up in the numbered revocation list (polled, so
// a revocation made by any host sharing the database shows up).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <signet/services.hpp>

#include <pkix/ocsp.hpp>

#include "config/config.hpp"
#include "db/database.hpp"
#include "db/ocsp.hpp"
#include "pki/ocsp_signer.hpp"
#include "plugins/instances.hpp"
#include "util/periodic_thread.hpp"

namespace signet::host {

// An encoded OCSPResponse with what its HTTP headers say.
struct OcspResponseBytes {
  std::string der;
  bool successful = false;             // false: an error status (malformedRequest, unauthorized, ...)
  TimePoint this_update, next_update;  // successful only
  std::string etag;                    // successful only: "\"<hash>\""
  // For re-signing: the CertID answered and its certificate's serial.
  std::string cert_id, serial_hex;
  // Successful only: the HTTP/1.1 status line and headers of this answer
  // as a cached one (RFC 5019 §6.2), without the empty line.
  std::string http_head;
};

struct OcspAnswer {
  std::shared_ptr<const OcspResponseBytes> response;
  bool cacheable = false;  // false: made for this request alone (a nonce, several certificates, an error)
};

// OCSP requests are a few hundred octets; anything far larger is not one.
inline constexpr std::size_t kOcspMaxRequest = 8 * 1024;

class OcspResponder {
 public:
  OcspResponder(Database& db, const PluginInstances& instances, const RevocationConfig& config, signet::Logger& log,
                signet::Metrics& metrics);
  ~OcspResponder() { stop(); }

  // Makes or loads each CA's signer, then keeps answers current on a thread of its own.
  Result<void> start();
  void stop();

  bool answers_for(const std::string& ca) const { return authorities_.count(ca) > 0; }
  // Cache-Control of a cached answer: max-age no longer than
  // revocation.ocsp.max_age, nor than the time before it is re-signed.
  std::string cache_control() const;

  // The answer to an OCSPRequest (DER) for CA `ca`. Never fails: what cannot
  // be answered gets an OCSP error status.
  OcspAnswer answer(const std::string& ca, std::string_view request);
  // The answer when it is in memory already; null when answering needs the
  // database or a signature. Cheap and never blocking.
  std::shared_ptr<const OcspResponseBytes> cached_answer(std::string_view ca, std::string_view request) const;

  // One round of what the thread does: signer renewals, new revocations,
  // answers nearing their nextUpdate.
  void run_once();

 private:
  // What identifies a CA in a CertID (§4.1.1), per hash algorithm.
  struct Authority {
    std::array<std::string, 4> name_hash, key_hash;  // indexed by pkix::OcspHash
    std::shared_ptr<const OcspSigner> signer;        // guarded by mutex_
  };
  using Responses = std::vector<pkix::OcspSingleResponse>;
  // An answer to sign again: the old one (or a placeholder holding its
  // CertID and serial), and the certificate's status when the caller read
  // it already (otherwise it is read from the database).
  struct Resign {
    std::string ca;
    std::shared_ptr<const OcspResponseBytes> old;
    std::optional<CertificateStatus> known = std::nullopt;
  };

  bool issued_by(const Authority& authority, const pkix::OcspCertId& id) const;
  std::shared_ptr<const OcspResponseBytes> cached(std::string_view ca, std::string_view cert_id) const;
  Result<pkix::OcspSingleResponse> single_response(const std::string& ca, std::string_view cert_id,
                                                   const std::string& serial_hex, TimePoint now,
                                                   std::optional<CertificateStatus> known = std::nullopt);
  Result<std::shared_ptr<const OcspResponseBytes>> sign(const std::string& ca, const Responses& responses,
                                                        std::string_view nonce, TimePoint now);
  Result<std::shared_ptr<const OcspResponseBytes>> sign_one(const std::string& ca, std::string_view cert_id,
                                                            const std::string& serial_hex,
                                                            std::optional<CertificateStatus> known = std::nullopt);
  std::string http_head_of(const OcspResponseBytes& response) const;
  void remember(const std::string& ca, std::shared_ptr<const OcspResponseBytes> response, long long seen_before);
  std::shared_ptr<const OcspSigner> signer_of(const std::string& ca) const;
  Result<void> load_authority(const std::string& ca);

  void renew_signers(TimePoint now);
  void resign_revoked();
  void presign_issued();
  void refresh_expiring(TimePoint now);
  // Signs the answers again with what the database says now; `why` labels
  // signet_ocsp_signatures_total (revocation, refresh, presign).
  void resign(const std::vector<Resign>& stale, const char* why);
  void count_signatures(const char* why, std::size_t n);

  Database& db_;
  const PluginInstances& instances_;
  const RevocationConfig config_;
  signet::Logger& log_;
  signet::Metrics& metrics_;
  std::map<std::string, Authority> authorities_;  // fixed after start(), signers aside

  mutable std::shared_mutex mutex_;  // guards the cache, seen_seq_ and the signers
  // "<ca>\n<CertID DER>" -> the answer.
  std::unordered_map<std::string, std::shared_ptr<const OcspResponseBytes>> cache_;
  long long seen_seq_ = 0;  // revocations up to here have been applied to the cache

  // Only the responder thread (or start()) touches these.
  TimePoint next_refresh_, next_signer_check_;
  long long issued_watermark_ = 0;  // certificates recorded up to here (Unix ms) have been pre-signed

  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace signet::host
