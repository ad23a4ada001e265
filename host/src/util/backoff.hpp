// Exponential back-off, as the runner, the notification dispatcher and the
// renewal scheduler wait between attempts.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace signet::host {

// `initial` doubled for each attempt after the first, never past `max`; a
// retry-after hint lengthens it, still within `max`.
inline std::chrono::milliseconds doubling_backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                                  int attempts, std::optional<std::chrono::seconds> hint = std::nullopt) {
  auto delay = initial;
  for (int i = 1; i < attempts && delay < max; ++i) delay *= 2;
  if (hint) delay = std::max<std::chrono::milliseconds>(delay, *hint);
  return std::min(delay, max);
}

}  // namespace signet::host
