// The head of an HTTP/1.1 request (RFC 9112 §2-§6), read in place from the
// bytes received: the revocation listener's parser, which allocates nothing
// per request. Only what a GET or a Content-Length POST needs is understood;
// a chunked body is refused (RFC 9112 §6.3 lets a server answer 411/501).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace signet::host {

struct RequestHead {
  static constexpr std::size_t kMaxHeaders = 32;
  struct Header {
    std::string_view name, value;
  };
  std::string_view method, target;
  int minor_version = 1;              // HTTP/1.<minor>
  std::array<Header, kMaxHeaders> headers{};
  std::size_t header_count = 0;
  std::size_t content_length = 0;
  bool keep_alive = true;
  bool chunked = false;               // Transfer-Encoding present: refused
  std::string_view if_none_match;
  std::size_t size = 0;               // octets up to and including the empty line
};

enum class HeadStatus { incomplete, complete, malformed, too_many_headers };

// Reads a request head from the start of `data`. `incomplete` until the
// empty line has arrived; views in `out` point into `data`.
HeadStatus parse_request_head(std::string_view data, RequestHead& out);

}  // namespace signet::host
