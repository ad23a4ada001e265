// The persisted progress of a request (requests.state): what its steps
// produced so far, read back by later steps, the API's answer, the events
// and the audit record. One shape, one place (like issue_request.hpp for
// the input). Top-level keys this version does not know are kept and
// written back, so hosts of two versions sharing a database do not drop
// what the other added.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::host {

// Who asked and how ("caller"), for the audit record's auth and source.
struct RequestCaller {
  std::string auth;       // "token", "mtls", "scheduler"; "" when unauthenticated
  std::string source;     // the caller's address; a host id (scheduled renewal); "lifecycle"
  std::string principal;  // the scheduler's name for itself (the audit record names q.principal)
};

// A certificate with the same key that its CA refused to revoke for good
// ("not_revoked"): answered by the API as {"id", "error": {"code", "message"}}.
struct NotRevoked {
  std::string id;
  std::string error_code;
  std::string error_message;
};

// A request whose profile needs approval (pipeline/approvals.hpp): the
// profile's rule as it was when the request was made, and the outcome.
struct ApprovalState {
  int min_approvals = 1;
  std::vector<std::string> approvers;  // roles; empty: any holder of request:approve
  bool self_approval = false;
  std::string from;     // the outside system whose approval counted ("servicenow")
  std::string outcome;  // "" while waiting, "approved", "rejected"
  std::string decided_by;
  std::string comment;  // the rejection's, for the failure and the ticket
};

struct RequestState {
  // Issue and renew, when the request is made.
  std::string certificate_id;  // the new certificate's id (and its key's bundle path)
  std::string policy_epoch;    // the accepting process's policy_epoch(): its check need not run again
  // Every kind, when the request is made.
  RequestCaller caller;
  // Issue and renew, keygen step: only when the host makes the key.
  std::string csr;        // PEM, signed in place of the input's csr
  std::string key_store;  // the store instance holding the key's bundle
  std::string key_path;   // its path there; non-empty: the host holds the key
  // Issue and renew, sign step.
  std::optional<int> crl_shard;    // only when the host publishes the CA's CRL
  std::string certificate_pem;     // from sign to record, which moves it to the answer
  std::vector<std::string> chain;  // the same; PEMs, the issuing CA first
  // Issue and renew: the signing CA instance (sign). Revoke: the first target's CA (record).
  std::string ca;
  // Issue and renew: the new certificate's serial (record). Revoke: the first target's.
  std::string serial;
  // Issue and renew, record step: RFC 3339, as answered and sent in events.
  std::string not_before, not_after;
  // Revoke.
  std::vector<std::string> revoked_at_ca;  // ids the CAs confirmed: a rerun skips them
  std::vector<NotRevoked> not_revoked;     // ids a CA refused for good, and why
  std::vector<std::string> revoked;        // record: the ids marked revoked
  std::string reason;                      // record: the reason's API name
  std::vector<NotRevoked> unmarked_bundles;  // store: bundles whose store refused the revoked mark for good, and why
  // Issue and renew, when the profile needs approval.
  std::optional<ApprovalState> approval;
  // Keys this version does not know (a newer host's, or the "store" and
  // "store_path" of the first versions), written back as they came.
  nlohmann::json unknown = nlohmann::json::object();
};

// Writes a key only when it has a value: never null (earlier hosts read
// every key with a default, which throws on null), and no key_path when
// empty (they test whether it is present).
nlohmann::json to_json(const RequestState& state);
// Never throws: a stored state is read inside the claim of due requests,
// where one bad row must not stop every claim. A key of the wrong type
// reads as absent. States of every earlier version load.
RequestState request_state_from(const nlohmann::json& state);
// The API's and the events' shape of not_revoked.
nlohmann::json to_json(const std::vector<NotRevoked>& refused);

}  // namespace signet::host
