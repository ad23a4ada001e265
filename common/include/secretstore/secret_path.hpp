// What a secret path may be, for the store plugins and the host's secrets
// API alike.
#pragma once

#include <string_view>

namespace signet::secretstore {

// Paths: 1-512 characters of A-Z a-z 0-9 . _ - and /, in segments that are
// neither empty nor "." or "..".
bool valid_secret_path(std::string_view path);

}  // namespace signet::secretstore
