#include "sql/postgres.hpp"

#include <stdexcept>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>

namespace signet::sql {

std::string postgres_conninfo(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    const std::string why = error ? error : "out of memory";
    PQfreemem(error);
    throw std::runtime_error("the PostgreSQL URL is not valid: " + why);
  }
  std::string out;
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    std::string value;  // libpq's quoting: '...' with \ and ' escaped
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\\' || *c == '\'') value += '\\';
      value += *c;
    }
    out += std::string(out.empty() ? "" : " ") + o->keyword + "='" + value + "'";
  }
  PQconninfoFree(options);
  return out;
}

namespace {

// Settings of every session: no "already exists, skipping" notices; and
// neither JIT compilation nor parallel workers. Signet's queries are short
// index reads, and when PostgreSQL overestimates their rows (a count of a
// few hundred planned as 80,000) it spent 8 ms compiling and ~100 ms
// starting workers on a query that takes 1 ms (docs/BENCHMARKS.md).
void quiet(soci::session& s) {
  s << "SET client_min_messages TO warning";
  s << "SET jit TO off";
  s << "SET max_parallel_workers_per_gather TO 0";
}

}  // namespace

void open_postgres(soci::session& s, const std::string& url) {
  s.open(*soci::factory_postgresql(), postgres_conninfo(url));
  quiet(s);
}

bool reconnect_if_dropped(soci::session& s) {
  if (s.is_connected()) return false;
  s.reconnect();
  quiet(s);
  return true;
}

PooledSession::PooledSession(soci::connection_pool& pool, bool reconnect)
    : pool_(pool), position_(pool_.lease()), session_(pool_.at(position_)) {
  try {
    if (reconnect) reconnect_if_dropped(session_);
  } catch (...) {
    pool_.give_back(position_);
    throw;
  }
}

PooledSession::~PooledSession() { pool_.give_back(position_); }

}  // namespace signet::sql
