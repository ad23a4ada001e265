#include "encoding/base64.hpp"

#include <openssl/evp.h>

namespace signet::encoding {

std::string base64(std::string_view data) {
  // EVP_EncodeBlock writes a NUL after its output: one byte more.
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  if (text.size() % 4 != 0 || text.substr(0, text.size() - padding).find_first_not_of(kAlphabet) != std::string_view::npos)
    return std::nullopt;
  std::string out(text.size() / 4 * 3 + 1, '\0');  // + the NUL EVP_DecodeBlock may write
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);  // EVP_DecodeBlock counts the padding as data
  return out;
}

}  // namespace signet::encoding
