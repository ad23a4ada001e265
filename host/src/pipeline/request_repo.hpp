// Persistence of requests. Every write after a claim checks the lease, so a
// worker that lost its lease can never overwrite the newer owner's progress.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "pipeline/request.hpp"

namespace signet::host {

class RequestRepo {
 public:
  explicit RequestRepo(Database& db) : db_(db) {}

  // Inserts the request already claimed by `owner` (status running).
  Result<void> create_claimed(const RequestRecord& request, const std::string& owner, TimePoint lease_until);
  Result<std::optional<RequestRecord>> load(const std::string& id);
  // Claims up to `limit` due requests: pending/waiting whose time has come,
  // and running ones whose lease expired (their host died).
  Result<std::vector<RequestRecord>> claim_due(const std::string& owner, TimePoint now, TimePoint lease_until, int limit);
  // Writes progress; false when the lease was lost to another owner.
  Result<bool> save(const RequestRecord& request, const std::string& owner, TimePoint lease_until);

 private:
  Database& db_;
};

}  // namespace signet::host
