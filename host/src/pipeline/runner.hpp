// Runs persisted requests through their pipelines. The state is written
// after every step, so a restart (or another host) resumes where it stopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/thread_pool.hpp>
#include <signet/services.hpp>

#include "config/config.hpp"
#include "pipeline/outcome_metrics.hpp"
#include "pipeline/pipeline.hpp"
#include "db/requests.hpp"

namespace signet::host {

class Runner {
 public:
  // `key_backends`: CA instance -> the keys instance it signs with (the
  // signing-time metric's label).
  Runner(Database& db, Pipelines pipelines, RunnerConfig config, boost::asio::thread_pool& workers,
         signet::Logger& log, signet::Metrics& metrics, std::map<std::string, std::string> key_backends = {});
  ~Runner();

  // Adds writes to a request's final failure, committed with it: the
  // failed event, a renewal's claim released (lifecycle/renewals.hpp).
  using FailureWrites = std::function<void(const RequestRecord&, const Pipeline*, std::vector<DeferredWrite>&)>;
  void on_final_failure(FailureWrites hook) { on_final_failure_ = std::move(hook); }

  // Starts the poller that claims due requests; stop() waits for it.
  void start();
  void stop();

  // Runs a new request: its local steps on the calling thread, from the
  // first step that acts outside the host (Step::checkpoint_before) on the
  // worker pool. Returns its outcome if it finishes or waits within
  // `budget`, else the request as persisted so far (it goes on in the
  // background). Either way the request is durable when this returns a
  // value: it is saved before that first external step, or at the end; a
  // request that ends within the budget is saved once, with its steps' writes.
  Result<RequestRecord> submit(RequestRecord request, std::chrono::milliseconds budget);

  // Saves a new request without running it, held for approval until
  // `expires` (then it fails with approval_expired).
  Result<RequestRecord> hold(RequestRecord request, TimePoint expires);

  // Claims request `id` if it is due (approved, rejected, retrying) and runs
  // it on the calling thread within `budget`; nullopt when it was not due.
  Result<std::optional<RequestRecord>> resume(const std::string& id, std::chrono::milliseconds budget);

  // Runs one claimed (persisted) request until it finishes, waits or fails for now.
  RequestRecord advance(RequestRecord request, TimePoint deadline);

  // Claims and runs due requests once, on the calling thread (tests).
  int run_due_once();

  const std::string& owner() const { return owner_; }
  // The tenant's own pipeline for the operation, else the shared one; null when neither.
  const Pipeline* pipeline(const std::string& operation, const std::string& tenant_id) const;
  bool has_pipeline(const std::string& operation, const std::string& tenant_id) const {
    return pipeline(operation, tenant_id) != nullptr;
  }
  // Whether the operation's pipeline can make keys (it has a store to keep them).
  bool makes_keys(const std::string& operation, const std::string& tenant_id) const {
    const Pipeline* p = pipeline(operation, tenant_id);
    return p && p->index_of("keygen").has_value();
  }

 private:
  struct Submission;
  struct Checkpoint;
  void poll_loop();
  void launch(RequestRecord q, std::shared_ptr<Submission> submission);
  // `until_external`: return (saved, still running) before the first step
  // that acts outside the host, so the caller can hand it to the pool.
  RequestRecord run_steps(RequestRecord q, TimePoint deadline, Checkpoint& checkpoint, bool until_external = false);
  bool save(RequestRecord& q, Checkpoint& checkpoint);
  StepOutcome run_guarded(Step& step, RequestRecord& q);
  void apply(RequestRecord& q, const Pipeline& p, const StepOutcome& outcome);
  void fail_final(RequestRecord& q, const Error& error);
  void fail_final(RequestRecord& q, std::string code, std::string message);
  // A held request claimed again: approved, it runs; else it fails here.
  bool ends_unapproved(RequestRecord& q, Checkpoint& checkpoint);
  std::chrono::milliseconds backoff(int attempts, const Error& error) const;
  TimePoint lease_end() const;

  RequestRepo repo_;
  OutcomeMetrics outcomes_;
  Pipelines pipelines_;
  RunnerConfig config_;
  boost::asio::thread_pool& workers_;
  signet::Logger& log_;
  signet::Metrics& metrics_;
  std::string owner_;
  std::mutex mutex_;
  int in_flight_ = 0;  // posted to the pool and not finished; guarded by mutex_
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool stopping_ = false;
  std::thread poller_;
  FailureWrites on_final_failure_;
};

}  // namespace signet::host
