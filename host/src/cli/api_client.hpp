// The CLI's connection to a running host: base URL, token and TLS trust
// from flags (--addr, --token, --cacert, --client-cert, --client-key) or
// the environment (SIGNET_ADDR, SIGNET_TOKEN, SIGNET_CACERT).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "services/http_client.hpp"

namespace signet::host {

class ApiClient {
 public:
  static const std::set<std::string>& connection_flags();
  // nullopt (after printing why) when no server address is known.
  static std::optional<ApiClient> from(const Args& args);

  // Sends a request; 2xx bodies come back as JSON (or the raw body in
  // `raw` when asked). Anything else prints "signet: <code>: <message>"
  // and returns nullopt.
  std::optional<nlohmann::json> call(const std::string& method, const std::string& path,
                                     const nlohmann::json& body = nullptr, int* status = nullptr);

 private:
  std::string base_;
  std::string token_;
  HttpOptions options_;
  CurlHttpClient http_;
};

}  // namespace signet::host
