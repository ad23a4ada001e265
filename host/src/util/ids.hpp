// Random identifiers and encodings.
#pragma once

#include <string>
#include <string_view>

#include <encoding/base64url.hpp>

namespace signet::host {

// "req_" + 26 base32 characters: 48 bits of creation time (ms) and 80
// random bits. Unguessable, URL-safe, and sorted by creation time.
std::string new_id(std::string_view prefix);
std::string random_base64url(std::size_t bytes);
using encoding::base64url;
using encoding::base64url_decode;
std::string sha256_hex(std::string_view data);
// Compares in time independent of where the strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace signet::host
