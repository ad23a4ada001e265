// Standard base64 with padding (RFC 4648 §4): HTTP Basic credentials, MIME
// parts and encoded words, AWS's DER fields.
#pragma once

#include <string>
#include <string_view>

namespace signet::encoding {

std::string base64(std::string_view data);

}  // namespace signet::encoding
