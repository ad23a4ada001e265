#include "util/ids.hpp"

#include <crypto/random.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace signet::host {

std::string new_id(std::string_view prefix) {
  // RFC 4648 base32 symbols in ASCII order, so text order is byte order.
  static constexpr char kAlphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
  // 48 bits of milliseconds, then 80 random bits (as ULIDs do): ids made
  // later sort later, so new rows land at the end of primary-key B-trees
  // instead of on random pages, and 80 bits keep them unguessable.
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::string bytes(6, '\0');
  for (int i = 0; i < 6; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (8 * (5 - i))) & 0xff);
  bytes += crypto::random_bytes(10);
  return std::string(prefix) + "_" + encoding::encode_bits(bytes, kAlphabet, 5);
}

std::string random_base64url(std::size_t bytes) { return base64url(crypto::random_bytes(bytes)); }

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace signet::host
