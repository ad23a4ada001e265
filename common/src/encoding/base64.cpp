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

}  // namespace signet::encoding
