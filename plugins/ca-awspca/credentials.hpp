// AWS credentials found the way the AWS SDKs and CLI find them, first hit
// wins: the instance's config; AWS_ACCESS_KEY_ID and friends; the shared
// config and credentials files with a profile (role_arn + source_profile,
// web_identity_token_file); web identity from the environment (EKS pods);
// the ECS container endpoint; EC2 instance metadata (IMDSv2). Temporary
// credentials are refreshed before they expire. No secret is ever logged or
// put in an error.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <signet/result.hpp>
#include <signet/services.hpp>

#include "sigv4.hpp"

namespace signet::awspca {

using TimePoint = std::chrono::system_clock::time_point;

struct TimedCredentials {
  AwsCredentials credentials;
  std::optional<TimePoint> expiration;  // none: long-term keys
  std::string source;                   // "environment", "profile dev", ...: for logs and errors
};

// Where the chain reaches STS, the metadata services and the environment;
// every network call goes through the host's HTTP client.
struct CredentialContext {
  HttpClient& http;
  Clock& clock;
  std::string region;
  std::string sts_endpoint;  // "https://sts.<region>.amazonaws.com" unless overridden
  std::string ca_file;
  std::string proxy;
  std::function<std::optional<std::string>(const std::string&)> getenv;  // the process environment, or a test's
};

// One place credentials may come from. fetch(): nullopt when this source
// has nothing to offer (the chain tries the next); an Error when it has
// something and it failed (the chain stops: a broken profile must not fall
// through to another identity).
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual Result<std::optional<TimedCredentials>> fetch(const CredentialContext& context) = 0;
};

struct CredentialSettings {
  AwsCredentials explicit_keys;  // from the config; empty access key: none
  std::string profile;           // from the config; "" = AWS_PROFILE or "default"
  std::string role_arn;          // assume this role with whatever the chain found
  bool instance_metadata = true; // try ECS and EC2 metadata last
};

class CredentialChain {
 public:
  CredentialChain(CredentialContext context, const CredentialSettings& settings);

  // The current credentials, fetched or refreshed when needed (a quarter of
  // their lifetime, at most five minutes, before they expire).
  Result<AwsCredentials> get();
  // Forgets the cached credentials (AWS said they expired).
  void invalidate();
  std::string source() const;

 private:
  Result<TimedCredentials> fetch();

  CredentialContext context_;
  std::vector<std::unique_ptr<CredentialSource>> sources_;
  std::string role_arn_;
  mutable std::mutex mutex_;
  std::optional<TimedCredentials> cached_;
  TimePoint refresh_at_{};
};

}  // namespace signet::awspca
