// Signing as the host does it, for the `ca` cases: requests for fresh keys,
// Pending tickets followed (no longer than --pending-wait), and every
// certificate that comes back checked with OpenSSL against the CA's chain.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "conformance/crypto_checks.hpp"
#include "conformance/suite.hpp"

namespace signet::host::conformance {

template <class T>
std::optional<Error> error_of(const Result<T>& result) {
  if (result.ok()) return std::nullopt;
  return result.error();
}

struct IssuedCheck {
  SignRequest request;               // as first sent, without a ticket
  std::shared_ptr<TestRequest> key;  // the key the CSR is for
  std::string pem;
  std::vector<std::string> chain_pem;
  std::string serial_hex;
};

struct SignOutcomeCheck {
  std::optional<Verdict> verdict;  // set when there is no (good) certificate: why
  std::optional<Error> refused;    // the error, when sign refused the request
  std::optional<IssuedCheck> certificate;
};

struct PendingSeen {
  std::string ticket;
  std::chrono::seconds retry_after{0};
  std::string problem;  // "" when the Pending and the call after it were as the SDK asks
};

class CaSigner {
 public:
  explicit CaSigner(Suite& suite) : suite_(suite) {}

  // A unique name under conformance.example.com, also as the one DNS name.
  pkix::CsrNames names(const std::string& prefix) const;
  SignRequest request_for(const std::string& csr_pem, const std::string& common_name,
                          const std::vector<std::string>& dns, std::chrono::seconds ttl,
                          const std::vector<std::string>& ip = {}) const;

  Result<SignOutcome> sign_once(const SignRequest& request);
  // A new key, a CSR for `names`, signed and followed to the end.
  SignOutcomeCheck sign_fresh(const pkix::CsrNames& names, std::chrono::seconds ttl);
  // `request` from the start, its Pending tickets followed.
  SignOutcomeCheck follow(SignRequest request, const std::shared_ptr<TestRequest>& key);
  // Revokes, following Pending tickets; `verdict` set when it did not end Revoked.
  SignOutcomeCheck follow_revoke(RevokeRequest request);

  std::vector<PendingSeen> pending_seen() const;
  // Every certificate issued in this run, once per serial.
  std::vector<IssuedCheck> issued() const;
  // chain(), read and checked once; null with `problem` when unusable.
  const std::vector<std::string>* ca_chain(std::string& problem);

 private:
  std::optional<std::string> check_pending(const Pending& pending);

  Suite& suite_;
  mutable std::mutex mutex_;
  std::vector<std::string> ca_chain_;
  std::vector<PendingSeen> pending_;
  std::vector<IssuedCheck> issued_;
};

}  // namespace signet::host::conformance
