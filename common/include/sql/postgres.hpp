// PostgreSQL through SOCI, as the host's metadata database and store-postgres
// use it: URLs, opening, and surviving a server restart.
#pragma once

#include <cstddef>
#include <string>

#include <soci/soci.h>

namespace signet::sql {

// A postgresql:// URL (RFC 3986 form, percent-encoding, query parameters
// such as sslmode) in the keyword='value' form SOCI takes, read by libpq's
// own parser. Throws std::runtime_error naming what is wrong.
std::string postgres_conninfo(const std::string& url);

// Opens `s` on the URL, quiet (no NOTICEs on stderr).
void open_postgres(soci::session& s, const std::string& url);

// Reconnects a PostgreSQL session whose server connection is gone; true
// when it did. Throws when the server is still away. A session whose last
// reconnect failed has no backend at all: nothing but is_connected() may
// be asked of it, so this is the first thing to call on a borrowed one.
bool reconnect_if_dropped(soci::session& s);

// A connection borrowed from a pool for the caller's scope; with
// `reconnect`, one the server dropped is reconnected first, so a restart
// costs the requests in flight at that moment, not the process.
class PooledSession {
 public:
  PooledSession(soci::connection_pool& pool, bool reconnect);
  ~PooledSession();
  PooledSession(const PooledSession&) = delete;
  PooledSession& operator=(const PooledSession&) = delete;
  soci::session& operator*() { return session_; }

 private:
  soci::connection_pool& pool_;
  std::size_t position_;
  soci::session& session_;
};

}  // namespace signet::sql
