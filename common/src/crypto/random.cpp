#include "crypto/random.hpp"

#include <openssl/rand.h>
#include <stdexcept>

namespace signet::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the random generator failed");
  return out;
}

}  // namespace signet::crypto
