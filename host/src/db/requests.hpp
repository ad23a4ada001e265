// The requests table: a persisted request (one row, with its input and its
// typed state) and the repository the pipeline's runner keeps them with.
// Every write after a claim checks the lease, so a worker that lost its
// lease can never overwrite the newer owner's progress.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/database.hpp"
#include "db/request_state.hpp"
#include "util/time.hpp"

namespace signet::host {

// pending: due to run (new, or retrying after a failure); running: claimed
// by a worker under a lease; waiting: a plugin handed out a ticket;
// pending_approval: held until approvers decide (next_attempt_at is when
// the wait expires); succeeded and failed are final.
enum class RequestStatus { pending, running, waiting, succeeded, failed, pending_approval };
const char* to_string(RequestStatus status);
RequestStatus request_status_from(const std::string& text);

struct RequestRecord {
  std::string id;
  std::string tenant_id;
  std::string operation;  // issue, renew, revoke
  RequestStatus status = RequestStatus::pending;
  std::string step;       // name of the step to run next (or last run)
  int step_index = 0;
  int attempts = 0;       // failed attempts of the current step
  TimePoint next_attempt_at{};
  std::string ticket;
  std::string principal;
  nlohmann::json input = nlohmann::json::object();  // the validated request
  RequestState state;  // what earlier steps produced
  // What this run produced for its answer but the database keeps elsewhere
  // (the certificate and chain, once recorded): never saved with the request.
  struct Recorded {
    std::string certificate_pem;
    std::vector<std::string> chain;
  } transient;
  std::string error_code;
  std::string error_message;
  std::string certificate_id;
  TimePoint created_at{};
  TimePoint updated_at{};
  // This claim's lease (the lease_owner column): unique per claim, so a
  // worker whose lease was taken over can no longer write.
  std::string lease_token;

  bool finished() const { return status == RequestStatus::succeeded || status == RequestStatus::failed; }
};

// Database work run inside another write's transaction (a step's effect,
// made durable with the request's progress).
using TransactionWork = std::function<void(soci::session&)>;

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
  // Claims one request if it is due (as claim_due would); nullopt when it is not.
  Result<std::optional<RequestRecord>> claim(const std::string& id, const std::string& owner, TimePoint now,
                                             TimePoint lease_until);
  // Writes progress; false when the lease was taken over by another claim.
  Result<bool> save(const RequestRecord& request, TimePoint lease_until);
  // Writes progress together with steps' deferred writes, in one
  // transaction: inserts the request when `create` (it was not durable
  // yet), else updates it under its lease. When the lease was lost, the
  // deferred writes do not run and the result is false.
  Result<bool> save_with(const RequestRecord& request, TimePoint lease_until, bool create,
                         const std::vector<TransactionWork>& writes);

 private:
  Database& db_;
  std::atomic<std::uint64_t> claims_{0};
};

struct RequestFilter {
  std::string status;  // exact; "" = any
  int limit = 100;
  std::string cursor;  // from the previous page
};

struct RequestPage {
  std::vector<RequestRecord> items;  // newest first
  std::string next_cursor;           // empty on the last page
};

// A tenant's requests (approvers list those in pending_approval).
// Error{invalid_argument} for a cursor this API did not hand out.
Result<RequestPage> list_requests(Database& db, const std::string& tenant_id, const RequestFilter& filter);

// Whether a request with this id was ever saved.
Result<bool> request_exists(Database& db, const std::string& id);

// The overview's request numbers for these tenants: what is under way now
// and what failed among the requests made since `since`. Each one range of
// requests_tenant_status.
struct RequestCounts {
  long long pending = 0, running = 0, waiting = 0, pending_approval = 0, failed_recently = 0;
  // The creation time of the oldest open request, by status (absent: none open).
  std::map<std::string, TimePoint> oldest;
};
Result<RequestCounts> request_counts(Database& db, const std::vector<std::string>& tenant_ids, TimePoint since);

}  // namespace signet::host
