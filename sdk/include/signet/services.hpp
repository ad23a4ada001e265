// What the host hands every plugin factory. The HostServices object and all
// it returns outlive every plugin instance; all of it is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <signet/result.hpp>
#include <signet/version.hpp>

namespace signet {

class KeyProvider;

enum class LogLevel { debug, info, warn, error };

// Structured logging. Never put secrets (keys, tokens, passwords) in a
// message or a field: the host writes both to its log as they are.
class SIGNET_SDK_API Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message,
                   const nlohmann::json& fields) = 0;

  void debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { log(LogLevel::error, m, f); }
};

class SIGNET_SDK_API Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Prometheus-style metrics, exported by the host on /metrics. A name is
// registered on first use with its help text; names should start with the
// plugin's name ("notify_webhook_deliveries_total").
class SIGNET_SDK_API Metrics {
 public:
  virtual ~Metrics() = default;
  virtual void counter_add(std::string_view name, std::string_view help,
                           const Labels& labels, double delta) = 0;
  virtual void gauge_set(std::string_view name, std::string_view help,
                         const Labels& labels, double value) = 0;
  // Observations in seconds, default latency buckets.
  virtual void histogram_observe(std::string_view name, std::string_view help,
                                 const Labels& labels, double value) = 0;
};

// Cryptographically secure random bytes (the host's OpenSSL DRBG).
class SIGNET_SDK_API SecureRandom {
 public:
  virtual ~SecureRandom() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{10000};  // whole exchange
  std::chrono::milliseconds connect_timeout{5000};
  bool verify_tls = true;            // never turned off outside tests
  std::string ca_file;               // PEM bundle; empty: system store
  std::string client_cert_file;      // PEM, for mutual TLS
  std::string client_key_file;
  std::string proxy;                 // "http://host:port"; empty: none
  int max_attempts = 1;              // >1: retry transport errors, 429, 5xx
  std::chrono::milliseconds initial_backoff{200};  // doubles per attempt
  std::chrono::milliseconds max_backoff{5000};
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  HttpOptions options;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

// Outbound HTTP(S). Transport failures come back as Error{unavailable or
// timeout}; any HTTP status, 4xx and 5xx included, is a successful Result.
// Retries happen only when options.max_attempts > 1, and only for requests
// the caller declares idempotent by asking for them.
class SIGNET_SDK_API HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// What a CA is about to sign, recorded durably before it is signed, so no
// certificate can exist that the host has no record of (the "precertificate"
// ledger of Let's Encrypt's Boulder). Serials are unique per CA instance.
struct PrecertificateRecord {
  std::string ca;          // the CA instance name (PluginContext::instance_name)
  std::string serial_hex;  // lower case, no separators
  std::string request_id;
  std::string tenant;
  std::string tbs_der;     // the DER TBSCertificate that will be signed
};

class SIGNET_SDK_API IssuanceLedger {
 public:
  virtual ~IssuanceLedger() = default;
  // Returns once the record is durable. Error{conflict} when the CA already
  // used the serial: draw another and record again.
  virtual Result<void> record(const PrecertificateRecord& record) = 0;
};

class SIGNET_SDK_API HostServices {
 public:
  virtual ~HostServices() = default;
  virtual Logger& logger() = 0;
  virtual Clock& clock() = 0;
  virtual Metrics& metrics() = 0;
  virtual SecureRandom& random() = 0;
  virtual HttpClient& http() = 0;
  // A `keys` instance declared in the configuration. Instances of kind
  // `keys` are created before all others, so a factory may call this.
  virtual Result<std::shared_ptr<KeyProvider>> key_provider(std::string_view instance) = 0;
  virtual IssuanceLedger& ledger() = 0;
};

}  // namespace signet
