// Idempotency-Key on the POSTs that create or change something
// (draft-ietf-httpapi-idempotency-key-header): the same key with the same
// request gets the first answer again, with `Idempotent-Replayed: true`;
// the same key with another request is 422 idempotency_key_reused; while
// the first is still running, 409. Keys are per principal and kept 24 h.
#pragma once

#include <string>
#include <vector>

#include "db/database.hpp"
#include "http/router.hpp"

namespace signet::host {

// Wraps a guarded route's handler. `secret_fields` are top-level fields of
// a JSON answer that are never stored (a private key handed out once):
// a replay leaves them out and says `"<field>_delivered": true`.
Handler idempotent(Database& db, Handler inner, std::vector<std::string> secret_fields = {});

}  // namespace signet::host
