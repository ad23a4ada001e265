#include "db/paging.hpp"

#include <encoding/base64url.hpp>

namespace signet::host {

std::string encode_cursor(long long ms, const std::string& id) {
  return encoding::base64url(std::to_string(ms) + ":" + id);
}

std::optional<std::pair<long long, std::string>> decode_cursor(const std::string& cursor) {
  const std::string text = encoding::base64url_decode(cursor);
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  try {
    return std::pair{std::stoll(text.substr(0, colon)), text.substr(colon + 1)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace signet::host
