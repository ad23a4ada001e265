// Everything the host hands to plugin factories, in one object.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <signet/result.hpp>
#include <signet/services.hpp>

#include "db/ledger.hpp"
#include "services/clock.hpp"
#include "services/http_client.hpp"
#include "services/logger.hpp"
#include "services/metrics.hpp"
#include "services/random.hpp"

namespace signet::host {

// Outlives every plugin instance (the SDK promises that), so it must be
// destroyed only after all plugins are. Thread-safe.
class HostServicesImpl final : public signet::HostServices {
 public:
  explicit HostServicesImpl(signet::LogLevel level);
  HostServicesImpl(const HostServicesImpl&) = delete;
  HostServicesImpl& operator=(const HostServicesImpl&) = delete;

  signet::Logger& logger() override;
  signet::Clock& clock() override;
  signet::Metrics& metrics() override;
  signet::SecureRandom& random() override;
  signet::HttpClient& http() override;
  Result<std::shared_ptr<signet::KeyProvider>> key_provider(std::string_view instance) override;
  signet::IssuanceLedger& ledger() override;

  // The ledger plugins record into; until set, every record is refused.
  // `ledger` must outlive every plugin instance.
  void set_ledger(signet::IssuanceLedger* ledger);

  // Called for each `keys` instance as it is created, before any other kind.
  // A second registration under one name replaces the first; a null provider
  // is ignored, so key_provider() never hands out null.
  void register_key_provider(std::string name, std::shared_ptr<signet::KeyProvider> provider);
  // A `keys` instance whose plugin refused to start: those that name it are
  // told so, not that there is no such instance.
  void register_failed_key_provider(std::string name);

  MetricsRegistry& metrics_registry();
  JsonLogger& json_logger();
  // For components that keep the logger, e.g. to derive with_component().
  std::shared_ptr<JsonLogger> shared_json_logger() const;

 private:
  std::shared_ptr<JsonLogger> logger_;
  MetricsRegistry metrics_;
  OpenSslRandom random_;
  SystemClock clock_;
  CurlHttpClient http_;  // after metrics_: it records into it

  NoLedger no_ledger_;
  std::atomic<signet::IssuanceLedger*> ledger_{&no_ledger_};

  mutable std::mutex key_providers_mutex_;
  std::map<std::string, std::shared_ptr<signet::KeyProvider>, std::less<>> key_providers_;
  std::set<std::string, std::less<>> failed_key_providers_;  // guarded by key_providers_mutex_
};

}  // namespace signet::host
