#include "http/request_head.hpp"

#include <cctype>

namespace signet::host {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// RFC 9110 §5.6.2: tchar.
bool token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "GET /path HTTP/1.1"
bool read_request_line(std::string_view line, RequestHead& out) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) return false;
  out.method = line.substr(0, sp1);
  for (char c : out.method)
    if (!token_char(c)) return false;
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (out.target.front() != '/') return false;
  const std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") out.minor_version = 1;
  else if (version == "HTTP/1.0") out.minor_version = 0;
  else return false;
  out.keep_alive = out.minor_version == 1;
  return true;
}

bool read_content_length(std::string_view value, RequestHead& out) {
  if (value.empty() || value.size() > 12) return false;
  std::size_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  out.content_length = n;
  return true;
}

bool read_header(std::string_view line, RequestHead& out, bool& seen_length) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
  for (char c : name)
    if (!token_char(c)) return false;  // also refuses "Name :" (RFC 9112 §5.1)
  if (equals_ignoring_case(name, "content-length")) {
    // Two lengths are how requests get smuggled (RFC 9112 §6.3).
    if (seen_length || !read_content_length(value, out)) return false;
    seen_length = true;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    out.chunked = true;
  } else if (equals_ignoring_case(name, "connection")) {
    if (equals_ignoring_case(value, "close")) out.keep_alive = false;
    else if (equals_ignoring_case(value, "keep-alive")) out.keep_alive = true;
  } else if (equals_ignoring_case(name, "if-none-match")) {
    out.if_none_match = value;
  }
  out.headers[out.header_count++] = {name, value};
  return true;
}

}  // namespace

HeadStatus parse_request_head(std::string_view data, RequestHead& out) {
  const std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return HeadStatus::incomplete;
  out = RequestHead{};
  out.size = end + 4;
  std::string_view rest = data.substr(0, end + 2);
  std::size_t eol = rest.find("\r\n");
  if (!read_request_line(rest.substr(0, eol), out)) return HeadStatus::malformed;
  rest.remove_prefix(eol + 2);
  bool seen_length = false;
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    if (out.header_count == RequestHead::kMaxHeaders) return HeadStatus::too_many_headers;
    if (!read_header(rest.substr(0, eol), out, seen_length)) return HeadStatus::malformed;
    rest.remove_prefix(eol + 2);
  }
  return HeadStatus::complete;
}

}  // namespace signet::host
