// The wall clock, as plugins and the host read it.
#pragma once

#include <chrono>

#include <signet/services.hpp>

namespace signet::host {

// Behind the signet::Clock interface so that tests can substitute a clock
// they control (expiry, renewal windows).
class SystemClock final : public signet::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace signet::host
