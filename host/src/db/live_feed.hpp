// What changed, for the dashboard's live updates (GET /v1/events and the
// WebSocket /v1/events/ws): certificates issued, renewed, revoked or
// expired, requests changing status, deliveries that failed. Each source
// is read in (updated_at, id) order from where the last read stopped, so a
// client that reconnects with its cursor misses nothing and sees nothing
// twice.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/database.hpp"

namespace signet::host {

struct FeedCursor {
  struct Position {
    long long ms = 0;
    std::string id;
  };
  Position certificates, requests, deliveries;
};
std::string encode_feed_cursor(const FeedCursor& cursor);
std::optional<FeedCursor> decode_feed_cursor(const std::string& text);
// A cursor at `ms` for every source: what changes from then on.
FeedCursor feed_cursor_at(long long ms);

struct FeedItem {
  std::string type;  // certificate.issued|renewed|revoked|expired, request.status, delivery.failed
  long long ms = 0;  // when it changed
  std::string tenant_id;
  nlohmann::json fields;  // certificate_id, request_id, status, … as the message carries them
};

// At most `limit` changes per source after `cursor`, oldest first, for
// these tenants (and only the service's certificates when `service` is
// set); `cursor` moves past what was read.
Result<std::vector<FeedItem>> read_feed(Database& db, const std::vector<std::string>& tenant_ids, const std::string& service,
                                        FeedCursor& cursor, int limit);

}  // namespace signet::host
