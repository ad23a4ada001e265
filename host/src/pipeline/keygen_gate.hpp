// Admission for expensive server-side key generation (RSA): a few keys at
// a time, a short queue, and a clear "not now" beyond it, so CSR requests
// keep their pipeline workers and their latency.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

namespace signet::host {

class KeygenGate {
 public:
  KeygenGate(int concurrency, int queue) : concurrency_(concurrency), capacity_(concurrency + queue) {}

  // Held while generating; releases its slot when destroyed.
  class Slot {
   public:
    explicit Slot(KeygenGate* gate) : gate_(gate) {}
    Slot(Slot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_) gate_->leave();
    }

   private:
    KeygenGate* gate_;
  };

  // Waits for a slot, or returns nullopt at once when the queue is full.
  std::optional<Slot> enter() {
    std::unique_lock lock(mutex_);
    if (admitted_ >= capacity_) return std::nullopt;
    ++admitted_;
    freed_.wait(lock, [this] { return running_ < concurrency_; });
    ++running_;
    return Slot(this);
  }

 private:
  void leave() {
    {
      std::lock_guard lock(mutex_);
      --running_;
      --admitted_;
    }
    freed_.notify_one();
  }

  const int concurrency_;
  const int capacity_;
  std::mutex mutex_;
  std::condition_variable freed_;
  int admitted_ = 0;  // running or waiting
  int running_ = 0;
};

}  // namespace signet::host
