// Unpadded base64url (RFC 4648 §5): the text form of binary values in
// identifiers, cursors and database columns.
#pragma once

#include <string>
#include <string_view>

namespace signet::encoding {

std::string base64url(std::string_view data);
// The bytes of unpadded base64url text; "" when it holds other characters.
std::string base64url_decode(std::string_view text);

}  // namespace signet::encoding
