// Signatures per second with the same key types in software (OpenSSL, the
// key held in memory as keys-software holds it) and on a SoftHSM2 token
// through keys-pkcs11, with 1 and 2 threads: the cost of the PKCS#11 path
// by itself, apart from issuance. Run by bench/run (part hsm) with
// SOFTHSM2_CONF naming a token directory that holds a token "bench".
//
//   signet_bench_pkcs11_sign MODULE TOKEN PIN SECONDS
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <crypto/random.hpp>
#include <cstdio>
#include <pkix/keys.hpp>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11_keys.hpp"

namespace {

using namespace signet;
using Clock = std::chrono::steady_clock;

class Random final : public SecureRandom {
 public:
  void fill(std::span<std::uint8_t> out) override {
    const std::string bytes = crypto::random_bytes(out.size());
    std::copy(bytes.begin(), bytes.end(), out.begin());
  }
};

// Signatures made by `threads` threads calling `sign` for `seconds`.
template <typename Sign>
double rate(int threads, double seconds, Sign sign) {
  std::atomic<long> made{0};
  std::atomic<bool> failed{false};
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (long i = 0; Clock::now() < until; ++i) {
        if (!sign("message " + std::to_string(t) + "/" + std::to_string(i))) failed = true;
        ++made;
      }
    });
  for (auto& w : workers) w.join();
  return failed ? -1 : static_cast<double>(made.load()) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODULE TOKEN PIN SECONDS\n", argv[0]);
    return 2;
  }
  const double seconds = std::stod(argv[4]);
  auto module = keys_pkcs11::Module::load(argv[1]);
  if (!module) return std::fprintf(stderr, "%s\n", module.error().message.c_str()), 1;
  keys_pkcs11::TokenConfig config;
  config.label = argv[2];
  config.pin = argv[3];
  auto token = keys_pkcs11::Token::open(std::move(module).value(), config);
  if (!token) return std::fprintf(stderr, "%s\n", token.error().message.c_str()), 1;
  Random random;
  keys_pkcs11::Pkcs11Keys hsm(std::move(token).value(), random);

  struct Case {
    const char* name;
    KeySpec spec;
    pkix::KeyParams software;
    SignatureAlgorithm algorithm;
  };
  const Case cases[] = {
      {"ecdsa-p256",
       {KeyType::ec, 0, "P-256", "bench-sign-p256"},
       {"ecdsa", 0, "P-256"},
       SignatureAlgorithm::ecdsa_sha256},
      {"rsa-2048", {KeyType::rsa, 2048, "", "bench-sign-rsa"}, {"rsa", 2048, ""}, SignatureAlgorithm::rsa_pkcs1_sha256},
  };
  for (const auto& c : cases) {
    KeySpec spec = c.spec;
    spec.label += "-" + std::to_string(::getpid());  // labels are unique on a token
    auto on_token = hsm.generate(spec);
    auto in_memory = pkix::generate_key(c.software);
    if (!on_token || !in_memory) return std::fprintf(stderr, "cannot make the %s keys\n", c.name), 1;
    for (int threads : {1, 2}) {
      const double software = rate(threads, seconds, [&](const std::string& m) {
        return static_cast<bool>(pkix::sign_message(in_memory.value().get(), c.algorithm, m));
      });
      const double pkcs11 = rate(threads, seconds, [&](const std::string& m) {
        return static_cast<bool>(hsm.sign(on_token.value().key_id, c.algorithm, m));
      });
      std::printf("sign %s threads=%d software=%.0f/s pkcs11=%.0f/s ratio=%.0f%%\n", c.name, threads, software, pkcs11,
                  100.0 * pkcs11 / software);
    }
  }
  return 0;
}
