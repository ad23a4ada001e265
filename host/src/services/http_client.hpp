// Outbound HTTP(S) for plugins and the host, on libcurl.
#pragma once

#include <signet/result.hpp>
#include <signet/services.hpp>

namespace signet::host {

// Thread-safe: every call uses its own curl handle. Only http and https are
// spoken, redirects are never followed, TLS is 1.2 or newer, and proxies come
// from HttpOptions::proxy alone, never from the environment.
//
// Error messages name the method, scheme and host but never the path, query,
// headers or body, which may carry credentials.
class CurlHttpClient final : public signet::HttpClient {
 public:
  // `metrics` may be null; when set it must outlive the client.
  explicit CurlHttpClient(signet::Metrics* metrics = nullptr);

  // Retries (transport errors, 429, 502, 503, 504) only when
  // request.options.max_attempts > 1; returns the last response or error.
  Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  Result<HttpResponse> send_once(const HttpRequest& request) const;
  void record_outcome(const Result<HttpResponse>& result) const;

  signet::Metrics* metrics_;
};

}  // namespace signet::host
