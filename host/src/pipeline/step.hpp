// One step of a pipeline. Steps are built once from the configuration and
// shared by all workers: run() must be thread-safe and idempotent on the
// request id, because after a crash a step may run again.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <signet/result.hpp>

#include "db/requests.hpp"

namespace signet::host {

// Database work a step hands to the runner, which runs it in the same
// transaction as the request's next save: the step's effect and the
// request's progress become durable together, in one (group) commit.
using DeferredWrite = TransactionWork;

struct StepOutcome {
  enum class Kind { done, waiting, failed };
  Kind kind = Kind::done;
  std::string ticket;                   // waiting
  std::chrono::seconds retry_after{0};  // waiting
  Error error;                          // failed; error.retryable() decides
  DeferredWrite write;                  // done: optional, see DeferredWrite

  static StepOutcome done() { return {}; }
  static StepOutcome done_with(DeferredWrite write) {
    StepOutcome o;
    o.write = std::move(write);
    return o;
  }
  static StepOutcome wait(std::string ticket, std::chrono::seconds after) {
    return {Kind::waiting, std::move(ticket), after, {}, {}};
  }
  static StepOutcome fail(Error e) { return {Kind::failed, {}, {}, std::move(e), {}}; }
};

class Step {
 public:
  virtual ~Step() = default;
  virtual std::string name() const = 0;
  // May change request.state (and request.certificate_id); the runner
  // persists it with the outcome.
  virtual StepOutcome run(RequestRecord& request) = 0;
  // Whether the request must be durable before this step runs: true for a
  // step that acts outside the host (a remote CA, a notifier), so a crash
  // after it acted resumes the same request instead of losing it. Steps
  // whose effects are local and idempotent answer false, and the runner
  // saves them together with the next checkpoint.
  virtual bool checkpoint_before() const { return true; }
};

}  // namespace signet::host
