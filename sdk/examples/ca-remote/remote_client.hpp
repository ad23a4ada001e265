// The remote CA's HTTP API (PROTOCOL.md) as calls that return JSON or a
// signet::Error, through the host's HTTP client. The error mapping here is
// the part every remote CA plugin needs: which answers are worth retrying.
#pragma once

#include <chrono>
#include <string>

#include <signet/sdk.hpp>

namespace ca_remote {

struct RemoteConfig {
  std::string url;      // "https://ca.example.net", no trailing slash
  std::string api_key;  // a secret: never logged, never in an error
  std::string ca_file;  // PEM bundle for the remote's TLS certificate; "" = system store
  std::chrono::milliseconds timeout{10000};
  std::chrono::seconds default_retry{10};  // when a retryable answer names no Retry-After
};

// An answer of the remote: its status and its JSON body (null when the body
// was not JSON, as from a proxy in between).
struct RemoteAnswer {
  int status = 0;
  nlohmann::json body;
  std::chrono::seconds retry_after{0};  // from Retry-After, 0 when absent
};

class RemoteClient {
 public:
  RemoteClient(RemoteConfig config, signet::HostServices& services);

  // One attempt, never a retry loop: the host retries the whole step with
  // back-off when an error is retryable. `idempotency_key` ("" for none)
  // makes a POST safe to repeat (draft-ietf-httpapi-idempotency-key-header).
  signet::Result<RemoteAnswer> call(const std::string& method, const std::string& path,
                                    const nlohmann::json& body = nullptr,
                                    const std::string& idempotency_key = "",
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // The signet::Error for an answer the caller does not accept, with the
  // code that tells the host whether to retry (docs/plugin-authoring.md).
  signet::Error error_of(const RemoteAnswer& answer, const std::string& operation) const;

  std::chrono::seconds default_retry() const { return config_.default_retry; }

 private:
  RemoteConfig config_;
  signet::HostServices& services_;
};

}  // namespace ca_remote
