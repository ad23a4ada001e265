// Standard base64 with padding (RFC 4648 §4): HTTP Basic credentials, MIME
// parts and encoded words, AWS's DER fields, Vault's Transit and KV values,
// master key files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace signet::encoding {

std::string base64(std::string_view data);
// Strict: padded, the standard alphabet only, no whitespace; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace signet::encoding
