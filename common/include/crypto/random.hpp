// Bytes from OpenSSL's CSPRNG, for keys, nonces and identifiers.
#pragma once

#include <cstddef>
#include <string>

namespace signet::crypto {

// Throws std::runtime_error if the generator fails (it never should once
// seeded; continuing without randomness would be worse).
std::string random_bytes(std::size_t n);

}  // namespace signet::crypto
