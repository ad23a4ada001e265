#include "db/advisory_locks.hpp"

#include "db/database.hpp"
#include "sql/postgres.hpp"

namespace signet::host {

std::int64_t AdvisoryLocks::key_of(const std::string& name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : "signet.leader." + name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return static_cast<std::int64_t>(hash);
}

soci::session& AdvisoryLocks::session() {
  if (!session_) {  // kept only once open: a session never connected cannot reconnect
    auto opened = std::make_unique<soci::session>();
    sql::open_postgres(*opened, url_);
    *opened << "SET application_name = '" << holder_ << "'";
    session_ = std::move(opened);
  }
  try {
    *session_ << "SELECT 1";  // a dropped connection shows here, not halfway through a lock
  } catch (const std::exception&) {
    held_.clear();  // the server released them with the connection
    sql::reconnect_if_dropped(*session_);
    *session_ << "SET application_name = '" << holder_ << "'";
  }
  return *session_;
}

Result<bool> AdvisoryLocks::try_hold(const std::string& name) {
  std::lock_guard lock(mutex_);
  try {
    soci::session& s = session();
    if (held_.count(name)) return true;
    int taken = 0;
    const long long key = key_of(name);
    s << "SELECT CASE WHEN pg_try_advisory_lock(:k) THEN 1 ELSE 0 END", soci::use(key), soci::into(taken);
    if (taken) held_.insert(name);
    return taken == 1;
  } catch (const std::exception& e) {
    held_.clear();
    return database_error(e);
  }
}

void AdvisoryLocks::release(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (!held_.erase(name) || !session_) return;
  try {
    const long long key = key_of(name);
    *session_ << "SELECT pg_advisory_unlock(:k)", soci::use(key);
  } catch (const std::exception&) {
    // The connection is gone, and the lock with it.
  }
}

std::string AdvisoryLocks::holder(const std::string& name) {
  std::lock_guard lock(mutex_);
  try {
    soci::session& s = session();
    // pg_locks splits a bigint key into classid (high 32 bits) and objid (low 32 bits).
    const std::uint64_t key = static_cast<std::uint64_t>(key_of(name));
    const long long high = static_cast<long long>(key >> 32), low = static_cast<long long>(key & 0xffffffffULL);
    std::string who;
    soci::indicator ind = soci::i_null;
    s << "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
         "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = :h "
         "AND l.objid::bigint = :l LIMIT 1",
        soci::use(high), soci::use(low), soci::into(who, ind);
    return ind == soci::i_ok ? who : "";
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace signet::host
