// Small text helpers shared across the host.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace signet::host {

// ASCII-only case folding: protocol tokens (header names, DNS labels, log
// levels), never locale-dependent.
char ascii_lower(char c);
std::string ascii_lowercase(std::string_view text);
bool equals_ignoring_ascii_case(std::string_view a, std::string_view b);

// 0-15 for a hex digit of either case, -1 for anything else.
int hex_digit_value(char c);
// %XX escapes decoded (RFC 3986 §2.1); a malformed escape stays as it is.
// `plus_is_space`: '+' is a space, as in form-encoded query strings.
std::string percent_decode(std::string_view text, bool plus_is_space);

// "a,b,c" <-> {"a", "b", "c"}; splitting drops empty items.
std::string join(const std::vector<std::string>& items, char separator);
std::string join(const std::vector<std::string>& items, std::string_view separator);  // "a, b, c"
std::vector<std::string> split(std::string_view text, char separator);

// RFC 1035 §2.3.1 preferred name syntax as relaxed by RFC 1123 §2.1; labels
// of 1-63 LDH characters, 253 in all. Expects lower case. An all-numeric
// last label is refused (RFC 3696 §2), so "10.0.0.5" is no DNS name.
bool valid_dns_name(const std::string& lowercase_name);

// A tenant slug: 1-63 lower-case letters, digits and inner dashes. It
// appears in URLs, SPIFFE ids (spiffe://<tenant>/<service>) and file names.
bool valid_slug(std::string_view slug);

}  // namespace signet::host
