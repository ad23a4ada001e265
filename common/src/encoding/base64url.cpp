#include "encoding/base64url.hpp"

#include <cstdint>

namespace signet::encoding {

std::string encode_bits(std::string_view data, std::string_view alphabet, int bits_per_symbol) {
  const std::uint32_t mask = (1u << bits_per_symbol) - 1;
  std::string out;
  out.reserve((data.size() * 8 + static_cast<std::size_t>(bits_per_symbol) - 1) / static_cast<std::size_t>(bits_per_symbol));
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= bits_per_symbol) {
      out += alphabet[(buffer >> (bits - bits_per_symbol)) & mask];
      bits -= bits_per_symbol;
    }
  }
  if (bits > 0) out += alphabet[(buffer << (bits_per_symbol - bits)) & mask];
  return out;
}

std::string base64url(std::string_view data) {
  return encode_bits(data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6);
}

std::string base64url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '-') value = 62;
    else if (c == '_') value = 63;
    if (value < 0) return {};
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

}  // namespace signet::encoding
