// Event types by their names (events.type), the inverse of signet::to_string.
#pragma once

#include <optional>
#include <string_view>

#include <signet/notifier.hpp>

namespace signet::host {

inline std::optional<EventType> event_type_from(std::string_view name) {
  for (EventType t : {EventType::issued, EventType::renewed, EventType::revoked, EventType::expiring, EventType::failed,
                      EventType::expired, EventType::secret_rotation})
    if (name == to_string(t)) return t;
  return std::nullopt;
}

}  // namespace signet::host
