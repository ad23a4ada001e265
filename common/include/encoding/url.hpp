// Percent-encoding (RFC 3986 §2.1): every byte but the unreserved ones
// (§2.3: A-Z a-z 0-9 - . _ ~) as %XX, for a path segment or a query or
// form value (application/x-www-form-urlencoded, with %20 for a space).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::encoding {

bool url_unreserved(unsigned char byte);
std::string url_encode(std::string_view text);
// "a=1&b=two%20words": a form body or a query string.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// Whether a URL's host is this machine (localhost, 127.0.0.0/8, [::1]):
// the only place plain http:// may carry credentials.
bool loopback_url(const std::string& url);

}  // namespace signet::encoding
