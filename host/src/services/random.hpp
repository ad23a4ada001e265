// Cryptographically secure random bytes from OpenSSL's DRBG.
#pragma once

#include <cstdint>
#include <span>

#include <signet/services.hpp>

namespace signet::host {

// Thread-safe (OpenSSL 3's DRBGs are per thread). There is no error path:
// when the generator fails, the process aborts, because callers turn these
// bytes into keys, serial numbers and tokens and must never get weak ones.
class OpenSslRandom final : public signet::SecureRandom {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

}  // namespace signet::host
