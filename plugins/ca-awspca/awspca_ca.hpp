// AWS Private CA as a Signet CA: IssueCertificate once per request (its
// ARN becomes the ticket at once), GetCertificate by ticket until issued,
// RevokeCertificate, the CA's chain and its own CRL and OCSP URLs.
#pragma once

#include <mutex>
#include <optional>

#include <signet/sdk.hpp>

#include "aws_call.hpp"
#include "config.hpp"
#include "credentials.hpp"
#include "rate_limit.hpp"

namespace signet::awspca {

// What DescribeCertificateAuthority says that matters here.
struct CaDescription {
  std::string status;             // ACTIVE, DISABLED, ...
  std::string key_algorithm;      // EC_prime256v1, RSA_2048, ...
  std::string signing_algorithm;  // the CA's own, e.g. SHA256WITHECDSA
  StatusUrls status_urls;
};

class AwsPrivateCa final : public CertificateAuthority {
 public:
  AwsPrivateCa(AwspcaConfig config, HostServices& services, Getenv getenv);

  Result<SignOutcome> sign(const SignRequest& request) override;
  Result<std::vector<std::string>> chain() override;
  Result<RevokeOutcome> revoke(const RevokeRequest& request) override;
  Result<StatusUrls> published_status() override;
  Result<void> health() override;

 private:
  Result<SignOutcome> issue(const SignRequest& request);
  Result<SignOutcome> poll(const SignRequest& request, const std::string& csr_key);
  // A slot under requests_per_second, held until AWS has answered, or
  // Error{rate_limited}.
  Result<RateLimit::Slot> within_rate(const std::string& operation);
  // One call to ACM-PCA with credentials from the chain (fetched again once
  // when AWS says they expired).
  Result<AwsAnswer> call(const std::string& operation, const nlohmann::json& body);
  Error error_of(const std::string& operation, const AwsAnswer& answer) const;
  Result<CaDescription> description(bool fresh = false);

  AwspcaConfig config_;
  HostServices& services_;
  AwsEndpoint endpoint_;
  CredentialChain credentials_;
  RateLimit rate_;
  std::mutex mutex_;
  std::optional<CaDescription> description_;  // guarded by mutex_
  std::chrono::steady_clock::time_point described_at_{};
  std::vector<std::string> chain_;
};

// "67:07:44:…": the serial as AWS's own RevokeCertificate examples write it.
std::string colon_serial(const std::string& serial_hex);
// The delay before GetCertificate is asked again: about a second at first
// (AWS's waiter polls every second), doubling every other poll, 30 s at most.
std::chrono::seconds poll_delay(int polls);
// An IdempotencyToken (1..36 characters) derived from Signet's request id.
std::string idempotency_token(const std::string& request_id);

}  // namespace signet::awspca
