// A thread that runs one round of work every `interval` until stopped: the
// background loop of the CRL publisher and of the OCSP responder.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace signet::host {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;
  ~PeriodicThread() { stop(); }

  void start(std::chrono::milliseconds interval, std::function<void()> round);
  // Runs a round now rather than at the end of the interval.
  void wake();
  // From the next wait on (a reload's new poll interval).
  void set_interval(std::chrono::milliseconds interval);
  // Wakes the thread and waits for its round to end; safe to call twice.
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::chrono::milliseconds interval_{1000};
  std::thread thread_;
};

}  // namespace signet::host
