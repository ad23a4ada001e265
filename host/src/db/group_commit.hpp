// Group commit: write transactions of concurrent callers share one COMMIT,
// so one fsync makes a whole batch durable (the same idea as PostgreSQL's
// commit_delay or InnoDB's binlog group commit). A work that throws is
// rolled back alone (the batch is redone with a SAVEPOINT per work), and
// its caller gets the error, while the rest of the batch commits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <soci/soci.h>
#include <signet/result.hpp>

#include "db/prepared.hpp"

namespace signet::host {

class GroupCommitter {
 public:
  using Work = std::function<void(soci::session&)>;

  // `session` is the committer's own connection, used by no one else, so
  // its prepared statements stay (db/prepared.hpp); `begin` is the
  // statement that opens a write transaction.
  // `reconnects`: a server (PostgreSQL) may drop the session; it is
  // reconnected before the next batch.
  GroupCommitter(std::unique_ptr<soci::session> session, std::string begin, bool reconnects, std::size_t max_batch = 512);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `work` in the next batch and returns once that batch committed
  // (or failed). Called from inside a batch's work, it runs at once in the
  // same transaction. `work` may run more than once (see commit_batch).
  Result<void> run(const Work& work);

 private:
  struct Pending {
    const Work* work;
    std::optional<Error> error;
    bool done = false;
    std::condition_variable released;  // its own: a batch wakes its callers only
  };
  using Batch = std::deque<Pending*>;

  void loop();
  void commit_batch(Batch& batch);
  // False when a work failed in an optimistic (savepoint-less) try, which
  // was then rolled back whole.
  bool try_batch(soci::session& s, Batch& batch, bool savepoints);
  // Under mutex_: hands each caller its outcome.
  void release(Batch& batch);

  std::unique_ptr<soci::session> session_;
  StatementCache statements_;
  const std::string begin_;
  const bool reconnects_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  Batch queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace signet::host
