// PostgreSQL session advisory locks on a connection of their own, for
// leadership (lifecycle/leader_lease.hpp): a lock ends the moment its
// holder's connection does (a crash, a partition, a server restart), and
// no clock decides who leads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <soci/soci.h>
#include <signet/result.hpp>

namespace signet::host {

class AdvisoryLocks {
 public:
  // `holder` names this process in pg_stat_activity (application_name), so
  // holder() can say who leads.
  AdvisoryLocks(std::string url, std::string holder) : url_(std::move(url)), holder_(std::move(holder)) {}

  // Takes the lock of `name` unless another session holds it; true when
  // this process holds it (now or already). A dropped connection lost every
  // lock: they are taken again on a new one.
  Result<bool> try_hold(const std::string& name);
  void release(const std::string& name);
  // The application_name of the session holding `name` ("" when none).
  std::string holder(const std::string& name);

  // The bigint key of a name, the same on every host (FNV-1a 64).
  static std::int64_t key_of(const std::string& name);

 private:
  soci::session& session();  // connected, reconnected when dropped (locks forgotten)

  const std::string url_, holder_;
  std::mutex mutex_;
  std::unique_ptr<soci::session> session_;
  std::set<std::string> held_;
};

}  // namespace signet::host
