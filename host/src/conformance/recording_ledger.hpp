// The issuance ledger the kit hands plugins: kept in memory, refusing a
// serial a CA instance used before (as the host's does), and remembering
// every record so the `local` cases can hold certificates to it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <signet/services.hpp>

namespace signet::host::conformance {

class RecordingLedger final : public IssuanceLedger {
 public:
  Result<void> record(const PrecertificateRecord& record) override {
    std::lock_guard lock(mutex_);
    if (!records_.emplace(std::make_pair(record.ca, record.serial_hex), record).second)
      return make_error(ErrorCode::conflict, "serial " + record.serial_hex + " was recorded before by CA " + record.ca);
    return {};
  }

  std::optional<PrecertificateRecord> find(const std::string& ca, const std::string& serial_hex) const {
    std::lock_guard lock(mutex_);
    const auto found = records_.find({ca, serial_hex});
    if (found == records_.end()) return std::nullopt;
    return found->second;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, PrecertificateRecord> records_;
};

}  // namespace signet::host::conformance
