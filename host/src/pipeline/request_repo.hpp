// Persistence of requests. Every write after a claim checks the lease, so a
// worker that lost its lease can never overwrite the newer owner's progress.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "pipeline/request.hpp"
#include "pipeline/step.hpp"

namespace signet::host {

class RequestRepo {
 public:
  explicit RequestRepo(Database& db) : db_(db) {}

  // A fresh lease token for a claim by `owner` (a host id).
  std::string new_lease_token(const std::string& owner);
  // Inserts the request already claimed under request.lease_token (status running).
  Result<void> create_claimed(const RequestRecord& request, TimePoint lease_until);
  Result<std::optional<RequestRecord>> load(const std::string& id);
  // Claims up to `limit` due requests: pending/waiting whose time has come,
  // and running ones whose lease expired (their host died).
  Result<std::vector<RequestRecord>> claim_due(const std::string& owner, TimePoint now, TimePoint lease_until, int limit);
  // Writes progress; false when the lease was taken over by another claim.
  Result<bool> save(const RequestRecord& request, TimePoint lease_until);
  // Writes progress together with steps' deferred writes, in one
  // transaction: inserts the request when `create` (it was not durable
  // yet), else updates it under its lease. When the lease was lost, the
  // deferred writes do not run and the result is false.
  Result<bool> save_with(const RequestRecord& request, TimePoint lease_until, bool create,
                         const std::vector<DeferredWrite>& writes);

 private:
  Database& db_;
  std::atomic<std::uint64_t> claims_{0};
};

}  // namespace signet::host
