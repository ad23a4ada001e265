// One step of a pipeline. Steps are built once from the configuration and
// shared by all workers: run() must be thread-safe and idempotent on the
// request id, because after a crash a step may run again.
#pragma once

#include <chrono>
#include <string>

#include <signet/result.hpp>

#include "pipeline/request.hpp"

namespace signet::host {

struct StepOutcome {
  enum class Kind { done, waiting, failed };
  Kind kind = Kind::done;
  std::string ticket;                   // waiting
  std::chrono::seconds retry_after{0};  // waiting
  Error error;                          // failed; error.retryable() decides

  static StepOutcome done() { return {}; }
  static StepOutcome wait(std::string ticket, std::chrono::seconds after) {
    return {Kind::waiting, std::move(ticket), after, {}};
  }
  static StepOutcome fail(Error e) { return {Kind::failed, {}, {}, std::move(e)}; }
};

class Step {
 public:
  virtual ~Step() = default;
  virtual std::string name() const = 0;
  // May change request.state (and request.certificate_id); the runner
  // persists it with the outcome.
  virtual StepOutcome run(RequestRecord& request) = 0;
};

}  // namespace signet::host
