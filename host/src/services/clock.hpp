// The wall clock, as plugins and the host read it.
#pragma once

#include <chrono>

#include <signet/services.hpp>

#include "util/time.hpp"

namespace signet::host {

// The host's clock (util/time.hpp) behind the signet::Clock interface: a
// test that shifts the host's clock shifts the plugins' too.
class SystemClock final : public signet::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return host::Clock::now();
  }
};

}  // namespace signet::host
