// external_refs: which request answers a record of another system (a
// ServiceNow RITM), so a flow's retry or a second polling host finds the
// first request instead of making another.
#pragma once

#include <optional>
#include <string>

#include <signet/intake.hpp>
#include <signet/result.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct ExternalRefHolder {
  std::string request_id;
  TimePoint since{};
};

// Claims the reference for `request_id` unless a request holds it already;
// returns the holder (`request_id` itself when this call claimed it).
Result<ExternalRefHolder> claim_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                                             const std::string& request_id, TimePoint now);
// Moves the claim from `from` (a request that was never saved) to `to`;
// false when someone else moved it first.
Result<bool> move_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                               const std::string& from, const std::string& to, TimePoint now);
// Lets the claim go: its request could not be saved.
Result<void> release_external_ref(Database& db, const std::string& tenant, const signet::ExternalRef& ref,
                                  const std::string& request_id);
// The reference a request answers, if any.
Result<std::optional<signet::ExternalRef>> external_ref_of(Database& db, const std::string& request_id);

}  // namespace signet::host
