// The issuance ledger (SDK IssuanceLedger): serials and to-be-signed
// certificates, written durably before a CA signs them.
#pragma once

#include <signet/services.hpp>

#include "db/database.hpp"

namespace signet::host {

class DatabaseLedger final : public signet::IssuanceLedger {
 public:
  explicit DatabaseLedger(Database& db) : db_(db) {}
  Result<void> record(const PrecertificateRecord& record) override;

 private:
  Database& db_;
};

// Until the database is open (offline commands): every record is refused,
// so nothing can be signed without a ledger.
class NoLedger final : public signet::IssuanceLedger {
 public:
  Result<void> record(const PrecertificateRecord&) override {
    return make_error(ErrorCode::unavailable, "the issuance ledger is not open");
  }
};

}  // namespace signet::host
