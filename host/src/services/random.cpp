#include "services/random.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include <openssl/err.h>
#include <openssl/rand.h>

namespace signet::host {
namespace {

[[noreturn]] void abort_on_generator_failure() {
  char reason[256] = "unknown error";
  ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
  std::fprintf(stderr, "fatal: the OpenSSL random generator failed (%s); aborting\n", reason);
  std::abort();
}

}  // namespace

void OpenSslRandom::fill(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length, so large spans go in chunks.
  while (!out.empty()) {
    const std::size_t chunk = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) abort_on_generator_failure();
    out = out.subspan(chunk);
  }
}

}  // namespace signet::host
