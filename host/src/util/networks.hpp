// Source-network lists ("10.0.0.0/8", "::1", "192.0.2.7/32") for tokens
// that may be used from some places only.
#pragma once

#include <string>
#include <vector>

#include <signet/result.hpp>

namespace signet::host {

// Each entry as a canonical CIDR ("10.0.0.0/8"; a bare address becomes /32
// or /128). Error{invalid_argument} naming the first malformed entry, or
// one with host bits set ("10.0.0.1/8").
Result<std::vector<std::string>> canonical_networks(const std::vector<std::string>& entries);

// Whether `address` (as the server saw the peer) lies in one of the
// canonical `networks`. An IPv4 peer seen as ::ffff:a.b.c.d counts as IPv4.
bool address_in_networks(const std::string& address, const std::vector<std::string>& networks);

}  // namespace signet::host
