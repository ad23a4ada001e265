// AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per message.
// The sealed form is nonce (12) || ciphertext || tag (16).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace signet::crypto {

constexpr std::size_t kAes256KeyBytes = 32;

// key must be 32 bytes. A random nonce is safe for up to 2^32 messages per
// key (SP 800-38D §8.3); every data key here seals exactly one message.
std::string aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view associated_data);
// nullopt when the key, the associated data or any byte of `sealed` differs.
std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed,
                                          std::string_view associated_data);

}  // namespace signet::crypto
