#include "services/host_services.hpp"

#include <utility>

namespace signet::host {

HostServicesImpl::HostServicesImpl(LogLevel level)
    : logger_(std::make_shared<JsonLogger>(level)), http_(&metrics_) {}

signet::Logger& HostServicesImpl::logger() { return *logger_; }
signet::Clock& HostServicesImpl::clock() { return clock_; }
signet::Metrics& HostServicesImpl::metrics() { return metrics_; }
signet::SecureRandom& HostServicesImpl::random() { return random_; }
signet::HttpClient& HostServicesImpl::http() { return http_; }

signet::IssuanceLedger& HostServicesImpl::ledger() { return *ledger_.load(); }
void HostServicesImpl::set_ledger(signet::IssuanceLedger* ledger) { ledger_.store(ledger ? ledger : &no_ledger_); }

MetricsRegistry& HostServicesImpl::metrics_registry() { return metrics_; }
JsonLogger& HostServicesImpl::json_logger() { return *logger_; }
std::shared_ptr<JsonLogger> HostServicesImpl::shared_json_logger() const { return logger_; }

Result<std::shared_ptr<KeyProvider>> HostServicesImpl::key_provider(std::string_view instance) {
  const std::lock_guard lock(key_providers_mutex_);
  const auto found = key_providers_.find(instance);
  if (found == key_providers_.end())
    return make_error(ErrorCode::not_found, failed_key_providers_.count(instance)
                                                ? "keys instance " + std::string(instance) + " did not start (its reason is above)"
                                                : "no keys instance named " + std::string(instance));
  return found->second;
}

void HostServicesImpl::register_failed_key_provider(std::string name) {
  const std::lock_guard lock(key_providers_mutex_);
  failed_key_providers_.insert(std::move(name));
}

void HostServicesImpl::register_key_provider(std::string name,
                                             std::shared_ptr<KeyProvider> provider) {
  if (!provider) return;
  const std::lock_guard lock(key_providers_mutex_);
  key_providers_.insert_or_assign(std::move(name), std::move(provider));
}

}  // namespace signet::host
