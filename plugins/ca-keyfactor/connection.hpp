// What the Command and EJBCA APIs share: one HTTPS connection setting
// (CA bundle, client certificate), authentication (Basic; an OAuth 2.0
// client-credentials token fetched once per its lifetime and again once on
// a 401; or the client certificate alone), the server's errors carried
// verbatim, and a health check that asks the server at most once per
// interval (command-cert-manager-issuer loaded Command with them).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/sdk.hpp>

#include "config.hpp"

namespace signet::keyfactor {

struct Answer {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string text;     // the body as it came
  bool ok() const { return status >= 200 && status < 300; }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Connection {
 public:
  Connection(const KeyfactorConfig& config, HostServices& services) : config_(config), services_(services) {}

  // One call to <base_url><path>. Transport failures are Error{unavailable};
  // every HTTP status is an Answer.
  Result<Answer> call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                      const Headers& headers = {});

  // The Error of an answer that is not 2xx: 5xx and 429 retryable, 4xx
  // final, with the server's own code and message verbatim (and logged).
  Error failure(const std::string& what, const Answer& answer, const std::string& server_code,
                const std::string& server_message) const;

  // `check` runs at most once per health_interval; in between its last
  // result stands.
  template <class Check>
  Result<void> health(Check check) {
    std::lock_guard lock(health_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!health_ || now - checked_at_ >= config_.health_interval) {
      health_ = check();
      checked_at_ = now;
    }
    return *health_;
  }

 private:
  Result<HttpResponse> send(const std::string& method, const std::string& path, const std::string& body,
                            const Headers& headers, const std::string& bearer);
  // The cached token, or a fresh one when none is usable or `refused` is the cached one.
  Result<std::string> bearer(const std::string& refused);

  const KeyfactorConfig& config_;
  HostServices& services_;
  std::mutex token_mutex_;
  std::string token_;  // guarded by token_mutex_
  std::chrono::steady_clock::time_point token_until_{};
  std::mutex health_mutex_;
  std::optional<Result<void>> health_;  // guarded by health_mutex_
  std::chrono::steady_clock::time_point checked_at_{};
};

}  // namespace signet::keyfactor
