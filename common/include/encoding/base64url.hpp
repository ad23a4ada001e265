// Unpadded base64url (RFC 4648 §5): the text form of binary values in
// identifiers, cursors and database columns; and the bit packing it and
// base32 identifiers share.
#pragma once

#include <string>
#include <string_view>

namespace signet::encoding {

// The bits of `data`, most significant first, as symbols of
// `bits_per_symbol` bits (5 for base32, 6 for base64) from `alphabet`; the
// last symbol is padded with zero bits, no '=' padding is added.
std::string encode_bits(std::string_view data, std::string_view alphabet, int bits_per_symbol);

std::string base64url(std::string_view data);
// The bytes of unpadded base64url text; "" when it holds other characters.
std::string base64url_decode(std::string_view text);

}  // namespace signet::encoding
