// Group commit: write transactions of concurrent callers share one COMMIT,
// so one fsync makes a whole batch durable (the same idea as PostgreSQL's
// commit_delay or InnoDB's binlog group commit). A work that throws is
// rolled back alone (the batch is redone with a SAVEPOINT per work), and
// its caller gets the error, while the rest of the batch commits.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <soci/soci.h>
#include <signet/result.hpp>

namespace signet::host {

class GroupCommitter {
 public:
  using Work = std::function<void(soci::session&)>;

  // `begin` is the statement that opens a write transaction.
  GroupCommitter(soci::connection_pool& pool, std::string begin, std::size_t max_batch = 512);
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
  };

  void loop();
  void commit_batch(std::deque<Pending*>& batch);
  // False when a work failed in an optimistic (savepoint-less) try, which
  // was then rolled back whole.
  bool try_batch(soci::session& s, std::deque<Pending*>& batch, bool savepoints);

  soci::connection_pool& pool_;
  const std::string begin_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace signet::host
