// The first answer to each Idempotency-Key (draft-ietf-httpapi-idempotency-
// key-header), per principal, kept 24 hours: a client that retries a POST
// after a timeout gets that answer again instead of a second effect.
#pragma once

#include <optional>
#include <string>

#include <signet/result.hpp>

#include "db/database.hpp"
#include "util/time.hpp"

namespace signet::host {

struct StoredAnswer {
  std::string fingerprint;  // of the request the key was first used with
  int status = 0;           // 0: that request is still running
  std::string content_type;
  std::string body;
};

// Claims `key` for `principal`: nullopt when this request is the first (it
// goes ahead), else what is stored. Keys older than `cutoff` are forgotten.
Result<std::optional<StoredAnswer>> claim_idempotency_key(Database& db, const std::string& principal, const std::string& key,
                                                          const std::string& fingerprint, TimePoint now, TimePoint cutoff);
// Stores the answer the first request got.
Result<void> complete_idempotency_key(Database& db, const std::string& principal, const std::string& key,
                                      const StoredAnswer& answer);
// Lets the key go (the first request failed in a way a retry may fix).
Result<void> release_idempotency_key(Database& db, const std::string& principal, const std::string& key);

}  // namespace signet::host
