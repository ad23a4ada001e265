// The revocation listener's HTTP request-head reader on arbitrary bytes:
// what any client can send to the plain-HTTP port. A head that parses must
// lie inside the input with its views, and say where the body starts.
#include <cstdint>
#include <string_view>

#include "http/request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::host;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  RequestHead head;
  if (parse_request_head(input, head) != HeadStatus::complete) return 0;
  const auto inside = [&](std::string_view part) {
    return part.empty() || (part.data() >= input.data() && part.data() + part.size() <= input.data() + head.size);
  };
  if (head.size > input.size() || head.size < 4 || input.substr(head.size - 4, 4) != "\r\n\r\n") __builtin_trap();
  if (!inside(head.method) || !inside(head.target) || head.target.empty() || head.target.front() != '/') __builtin_trap();
  if (head.header_count > RequestHead::kMaxHeaders) __builtin_trap();
  for (std::size_t i = 0; i < head.header_count; ++i)
    if (!inside(head.headers[i].name) || !inside(head.headers[i].value) || head.headers[i].name.empty()) __builtin_trap();
  return 0;
}
