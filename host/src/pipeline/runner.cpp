#include "pipeline/runner.hpp"

#include <boost/asio/post.hpp>
#include <future>

#include "util/backoff.hpp"
#include "util/ids.hpp"
#include "util/thread_name.hpp"

namespace signet::host {

Runner::Runner(Database& db, Pipelines pipelines, RunnerConfig config, boost::asio::thread_pool& workers,
               signet::Logger& log, signet::Metrics& metrics, std::map<std::string, std::string> key_backends)
    : repo_(db), outcomes_(db, metrics, std::move(key_backends)), pipelines_(std::move(pipelines)), config_(config), workers_(workers), log_(log),
      metrics_(metrics), owner_(new_id("host")) {}

Runner::~Runner() { stop(); }

const Pipeline* Runner::pipeline(const std::string& operation, const std::string& tenant_id) const {
  auto found = pipelines_.find(operation + tenant_pipeline_suffix(tenant_id));
  if (found == pipelines_.end()) found = pipelines_.find(operation);
  return found == pipelines_.end() ? nullptr : found->second.get();
}

void Runner::start() {
  poller_ = std::thread([this] {
    name_this_thread("signet-runner");
    poll_loop();
  });
}

void Runner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (poller_.joinable()) poller_.join();
  // Work already posted refers to this object: wait until it is done.
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

TimePoint Runner::lease_end() const { return Clock::now() + config_.lease; }

std::chrono::milliseconds Runner::backoff(int attempts, const Error& error) const {
  return doubling_backoff(config_.initial_backoff, config_.max_backoff, attempts, error.retry_after);
}

void Runner::fail_final(RequestRecord& q, const Error& error) {
  fail_final(q, std::string(to_string(error.code)), error.message);
}

void Runner::fail_final(RequestRecord& q, std::string code, std::string message) {
  q.status = RequestStatus::failed;
  q.error_code = std::move(code);
  q.error_message = std::move(message);
}

void Runner::apply(RequestRecord& q, const Pipeline& p, const StepOutcome& outcome) {
  q.updated_at = Clock::now();
  switch (outcome.kind) {
    case StepOutcome::Kind::done:
      q.step_index += 1;
      q.attempts = 0;
      q.ticket.clear();
      q.error_code.clear();
      q.error_message.clear();
      if (static_cast<std::size_t>(q.step_index) >= p.size()) {
        q.status = RequestStatus::succeeded;
        q.step = "done";
      } else {
        q.step = p.at(static_cast<std::size_t>(q.step_index)).name();
      }
      return;
    case StepOutcome::Kind::waiting:
      q.status = RequestStatus::waiting;
      q.ticket = outcome.ticket;
      // A plugin's hint, kept within backoff.max so a wrong hint cannot park a request for days.
      q.next_attempt_at = q.updated_at + std::min<std::chrono::milliseconds>(outcome.retry_after, config_.max_backoff);
      return;
    case StepOutcome::Kind::failed:
      q.attempts += 1;
      if (!outcome.error.retryable() || q.attempts >= config_.max_attempts) return fail_final(q, outcome.error);
      q.status = RequestStatus::pending;
      q.error_code = std::string(to_string(outcome.error.code));
      q.error_message = outcome.error.message;
      q.next_attempt_at = q.updated_at + backoff(q.attempts, outcome.error);
      return;
  }
}

// A step that throws fails the request instead of the worker thread.
StepOutcome Runner::run_guarded(Step& step, RequestRecord& q) {
  try {
    return step.run(q);
  } catch (const std::exception& e) {
    log_.error("pipeline step threw", {{"request_id", q.id}, {"step", step.name()}, {"error", e.what()}});
    return StepOutcome::fail(make_error(ErrorCode::internal, "step " + step.name() + " failed unexpectedly"));
  }
}

// A request's way to durability during one run: whether it is in the
// database yet, and the steps' writes waiting for the next save.
struct Runner::Checkpoint {
  bool persisted = true;
  std::vector<DeferredWrite> writes;
};

// What submit() waits for: the end of the pool's part of the run.
struct Runner::Submission {
  std::promise<RequestRecord> done;
};

bool Runner::save(RequestRecord& q, Checkpoint& checkpoint) {
  const TimePoint lease = q.status == RequestStatus::running ? lease_end() : Clock::now();
  if (q.status == RequestStatus::failed && on_final_failure_)
    on_final_failure_(q, pipeline(q.operation, q.tenant_id), checkpoint.writes);
  auto saved = repo_.save_with(q, lease, !checkpoint.persisted, checkpoint.writes);
  checkpoint.writes.clear();
  if (!saved || !saved.value()) {
    log_.warn("request lost its lease or could not be saved",
              {{"request_id", q.id}, {"step", q.step}, {"error", saved ? "lease lost" : saved.error().message}});
    return false;
  }
  checkpoint.persisted = true;
  return true;
}

RequestRecord Runner::advance(RequestRecord q, TimePoint deadline) {
  Checkpoint persisted;
  return run_steps(std::move(q), deadline, persisted);
}

bool Runner::ends_unapproved(RequestRecord& q, Checkpoint& checkpoint) {
  if (!q.state.approval || q.state.approval->outcome == "approved") return false;
  const ApprovalState& a = *q.state.approval;
  if (a.outcome == "rejected")
    fail_final(q, "rejected", "rejected by " + a.decided_by + (a.comment.empty() ? "" : ": " + a.comment));
  else
    fail_final(q, "approval_expired", "the request was not approved in time");
  q.updated_at = Clock::now();
  (void)save(q, checkpoint);
  return true;
}

RequestRecord Runner::run_steps(RequestRecord q, TimePoint deadline, Checkpoint& checkpoint, bool until_external) {
  if (ends_unapproved(q, checkpoint)) return q;
  const Pipeline* found = pipeline(q.operation, q.tenant_id);
  if (!found) {
    fail_final(q, make_error(ErrorCode::unsupported, "no pipeline is configured for " + q.operation));
    (void)save(q, checkpoint);
    return q;
  }
  const Pipeline& p = *found;
  if (auto index = p.index_of(q.step)) {
    q.step_index = static_cast<int>(*index);
  } else if (q.status == RequestStatus::running) {
    // The configuration changed while the request waited: its next step is gone.
    fail_final(q, make_error(ErrorCode::invalid_config, "step " + q.step + " is no longer in the " + q.operation + " pipeline"));
    q.updated_at = Clock::now();
    (void)save(q, checkpoint);
    return q;
  }
  bool unsaved = false;  // progress since the last save
  while (q.status == RequestStatus::running && static_cast<std::size_t>(q.step_index) < p.size()) {
    Step& step = p.at(static_cast<std::size_t>(q.step_index));
    q.step = step.name();
    if (step.checkpoint_before()) {
      if ((unsaved || !checkpoint.persisted) && !save(q, checkpoint)) break;
      unsaved = false;
      if (until_external) return q;  // durable and running: the pool takes it from here
    }
    const auto started = std::chrono::steady_clock::now();
    StepOutcome outcome = run_guarded(step, q);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.histogram_observe("signet_pipeline_step_seconds", "Time spent in one pipeline step",
                               {{"operation", q.operation}, {"step", q.step}}, seconds);
    if (q.step.rfind("sign:", 0) == 0 && outcome.kind == StepOutcome::Kind::done) outcomes_.signed_by(q.step.substr(5), seconds);
    if (outcome.kind == StepOutcome::Kind::done && outcome.write) checkpoint.writes.push_back(std::move(outcome.write));
    apply(q, p, outcome);
    unsaved = true;
    const bool keep_running = q.status == RequestStatus::running && Clock::now() < deadline;
    if (q.status == RequestStatus::running && !keep_running) {
      q.status = RequestStatus::pending;  // out of budget: hand over to the poller
      q.next_attempt_at = Clock::now();
    }
    if (!keep_running) {
      (void)save(q, checkpoint);  // finished, waiting, failed, or handed over
      unsaved = false;
    }
  }
  if (q.finished()) {
    metrics_.counter_add("signet_requests_finished_total", "Requests that reached a final status",
                         {{"operation", q.operation}, {"status", to_string(q.status)}}, 1);
    outcomes_.finished(q);
  }
  return q;
}

Result<RequestRecord> Runner::submit(RequestRecord q, std::chrono::milliseconds budget) {
  const Pipeline* found = pipeline(q.operation, q.tenant_id);
  if (!found || found->size() == 0)
    return make_error(ErrorCode::unsupported, "no pipeline is configured for " + q.operation);
  q.status = RequestStatus::running;
  q.step_index = 0;
  q.step = found->at(0).name();
  q.created_at = q.updated_at = q.next_attempt_at = Clock::now();
  q.lease_token = repo_.new_lease_token(owner_);
  const TimePoint deadline = Clock::now() + budget;
  // Local steps run right here, on the caller's thread: no hand-off for a
  // pipeline that never leaves the host (such as ca-internal's).
  Checkpoint checkpoint;
  checkpoint.persisted = false;
  q = run_steps(std::move(q), deadline, checkpoint, true);
  if (!checkpoint.persisted) return make_error(ErrorCode::unavailable, "the request could not be saved; it was not carried out");
  if (q.status != RequestStatus::running || Clock::now() >= deadline) return q;
  // The next step acts outside the host: the pool runs it, and this call
  // waits for the rest of the budget before answering 202.
  auto submission = std::make_shared<Submission>();
  auto finished = submission->done.get_future();
  const std::string id = q.id;
  launch(std::move(q), submission);
  if (finished.wait_until(deadline) == std::future_status::ready) return finished.get();
  auto loaded = repo_.load(id);
  if (!loaded) return std::move(loaded).error();
  if (!loaded.value()) return make_error(ErrorCode::unavailable, "the request could not be saved");
  return std::move(*loaded.value());
}

Result<RequestRecord> Runner::hold(RequestRecord q, TimePoint expires) {
  const Pipeline* found = pipeline(q.operation, q.tenant_id);
  if (!found || found->size() == 0)
    return make_error(ErrorCode::unsupported, "no pipeline is configured for " + q.operation);
  q.status = RequestStatus::pending_approval;
  q.step_index = 0;
  q.step = found->at(0).name();
  q.created_at = q.updated_at = Clock::now();
  q.next_attempt_at = expires;
  q.lease_token = repo_.new_lease_token(owner_);
  auto saved = repo_.save_with(q, Clock::now(), true, {});
  if (!saved) return std::move(saved).error();
  return q;
}

Result<std::optional<RequestRecord>> Runner::resume(const std::string& id, std::chrono::milliseconds budget) {
  auto claimed = repo_.claim(id, owner_, Clock::now(), lease_end());
  if (!claimed) return std::move(claimed).error();
  if (!claimed.value()) return std::optional<RequestRecord>();
  return std::optional<RequestRecord>(advance(std::move(*claimed.value()), Clock::now() + budget));
}

void Runner::launch(RequestRecord q, std::shared_ptr<Submission> submission) {
  {
    std::lock_guard lock(mutex_);
    in_flight_ += 1;
  }
  boost::asio::post(workers_, [this, q = std::move(q), submission = std::move(submission)]() mutable {
    Checkpoint checkpoint;  // the request is durable already (claimed, or saved by submit())
    RequestRecord after = run_steps(std::move(q), Clock::now() + config_.lease / 2, checkpoint);
    if (submission) submission->done.set_value(std::move(after));
    std::lock_guard lock(mutex_);
    in_flight_ -= 1;
    idle_.notify_all();
  });
}

int Runner::run_due_once() {
  auto claimed = repo_.claim_due(owner_, Clock::now(), lease_end(), config_.workers);
  if (!claimed) {
    log_.warn("cannot claim due requests", {{"error", claimed.error().message}});
    return 0;
  }
  for (auto& q : claimed.value()) advance(std::move(q), Clock::now() + config_.lease);
  return static_cast<int>(claimed.value().size());
}

void Runner::poll_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    int capacity = 0;
    {
      std::lock_guard guard(mutex_);
      capacity = config_.workers - in_flight_;
    }
    if (capacity > 0) {
      auto claimed = repo_.claim_due(owner_, Clock::now(), lease_end(), capacity);
      if (claimed) {
        for (auto& q : claimed.value()) launch(std::move(q), nullptr);
      } else {
        log_.warn("cannot claim due requests", {{"error", claimed.error().message}});
      }
    }
    lock.lock();
    wake_.wait_for(lock, config_.poll_interval, [this] { return stopping_; });
  }
}

}  // namespace signet::host
