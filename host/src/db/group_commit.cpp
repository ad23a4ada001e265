#include "db/group_commit.hpp"

#include "db/database.hpp"
#include "util/thread_name.hpp"

namespace signet::host {
namespace {

// Set on the committer's thread while it runs a batch's work.
thread_local soci::session* tls_batch_session = nullptr;

Error work_error(const std::exception& e) { return database_error(e); }

}  // namespace

GroupCommitter::GroupCommitter(std::unique_ptr<soci::session> session, std::string begin, bool reconnects,
                               std::size_t max_batch)
    : session_(std::move(session)), statements_(*session_), begin_(std::move(begin)), reconnects_(reconnects), max_batch_(max_batch),
      thread_([this] { loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
}

Result<void> GroupCommitter::run(const Work& work) {
  if (tls_batch_session) {  // nested: already inside a batch's transaction
    work(*tls_batch_session);
    return {};
  }
  Pending pending{&work, std::nullopt, false, {}};
  std::unique_lock lock(mutex_);
  if (stopping_) return make_error(ErrorCode::unavailable, "database: shutting down");
  queue_.push_back(&pending);
  work_ready_.notify_one();
  pending.released.wait(lock, [&] { return pending.done; });
  if (pending.error) return *pending.error;
  return {};
}

void GroupCommitter::release(Batch& batch) {
  for (Pending* p : batch) {
    p->done = true;
    p->released.notify_one();
  }
}

void GroupCommitter::loop() {
  name_this_thread("signet-commit");
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Batch batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    commit_batch(batch);
    lock.lock();
    release(batch);
  }
}

// Every work of the batch in one transaction. Optimistic first: no
// savepoints (each costs two statements per work). If a work throws, the
// transaction is rolled back and the batch runs again with a savepoint
// around each work, so only the failing ones lose their changes. Works are
// therefore run again after such a failure; they must not count on having
// run once only (they read their state from the database, not from earlier
// runs).
void GroupCommitter::commit_batch(Batch& batch) {
  soci::session& s = *session_;
  try {
    // A server restart dropped the connection: a new one, and statements prepared on it.
    if (reconnects_ && !s.is_connected()) {
      statements_.clear();
      sql::reconnect_if_dropped(s);
    }
  } catch (const std::exception& e) {
    for (Pending* p : batch) p->error = work_error(e);
    return;
  }
  const StatementCache::Active prepared(statements_);
  if (try_batch(s, batch, false)) return;
  for (Pending* p : batch) p->error.reset();
  try_batch(s, batch, true);
}

bool GroupCommitter::try_batch(soci::session& s, Batch& batch, bool savepoints) {
  try {
    s << begin_;
    tls_batch_session = &s;
    for (Pending* p : batch) {
      if (savepoints) s << "SAVEPOINT work";
      try {
        (*p->work)(s);
        if (savepoints) s << "RELEASE SAVEPOINT work";
      } catch (const std::exception& e) {
        p->error = work_error(e);
      } catch (...) {
        p->error = make_error(ErrorCode::internal, "database: a write failed unexpectedly");
      }
      if (p->error && !savepoints) {
        tls_batch_session = nullptr;
        s << "ROLLBACK";
        return false;
      }
      if (p->error) {
        s << "ROLLBACK TO SAVEPOINT work";
        s << "RELEASE SAVEPOINT work";
      }
    }
    tls_batch_session = nullptr;
    s << "COMMIT";
  } catch (const std::exception& e) {
    // BEGIN, a savepoint or COMMIT failed: nothing of the batch is durable.
    tls_batch_session = nullptr;
    try { s << "ROLLBACK"; } catch (...) {}  // the connection may be gone; the first error matters
    for (Pending* p : batch)
      if (!p->error) p->error = work_error(e);
  }
  return true;
}

}  // namespace signet::host
