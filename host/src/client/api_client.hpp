// The CLI's connection to a running host: base URL, token and TLS trust
// from flags (--addr, --token, --cacert, --client-cert, --client-key) or
// the environment (SIGNET_ADDR, SIGNET_TOKEN, SIGNET_CACERT).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "client/args.hpp"
#include "services/http_client.hpp"

namespace signet::host {

// One answer of the host, whatever its status.
struct ApiAnswer {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string date;     // the Date header: the host's clock
  std::string error_code() const;
  // "<code>: <message>" of an error body, or "the server answered HTTP <status>".
  std::string error_text() const;
};

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
  // Sends a request and returns any answer; Error only when none came.
  Result<ApiAnswer> send(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);

  // Mutual TLS with this certificate instead of the token.
  void use_client_certificate(const std::string& cert_file, const std::string& key_file);
  // Back to the token, without a client certificate; false when there is no token.
  bool use_token();

 private:
  std::string base_;
  std::string token_;
  bool send_token_ = true;
  HttpOptions options_;
  CurlHttpClient http_;
};

}  // namespace signet::host
