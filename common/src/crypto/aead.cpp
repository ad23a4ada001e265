#include "crypto/aead.hpp"

#include <memory>
#include <openssl/evp.h>
#include <stdexcept>

#include "crypto/random.hpp"

namespace signet::crypto {
namespace {

constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

CipherCtx start(std::string_view key, std::string_view nonce, bool encrypt) {
  if (key.size() != kAes256KeyBytes) throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(nonce), encrypt ? 1 : 0) != 1)
    throw std::runtime_error("cannot start AES-256-GCM");
  return ctx;
}

bool add_associated_data(EVP_CIPHER_CTX* ctx, std::string_view ad) {
  int ignored = 0;
  return ad.empty() || EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(ad), static_cast<int>(ad.size())) == 1;
}

}  // namespace

std::string aes256gcm_seal(std::string_view key, std::string_view plaintext, std::string_view ad) {
  const std::string nonce = random_bytes(kNonceBytes);
  auto ctx = start(key, nonce, true);
  std::string out = nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  int written = 0;
  int tail = 0;
  if (!add_associated_data(ctx.get(), ad) ||
      EVP_EncryptUpdate(ctx.get(), bytes(out) + kNonceBytes, &written, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes(out) + kNonceBytes + written, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, bytes(out) + kNonceBytes + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> aes256gcm_open(std::string_view key, std::string_view sealed, std::string_view ad) {
  if (sealed.size() < kNonceBytes + kTagBytes || key.size() != kAes256KeyBytes) return std::nullopt;
  const std::string_view nonce = sealed.substr(0, kNonceBytes);
  const std::string_view body = sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  auto ctx = start(key, nonce, false);
  std::string out(body.size(), '\0');
  int written = 0;
  int tail = 0;
  if (!add_associated_data(ctx.get(), ad) ||
      EVP_DecryptUpdate(ctx.get(), bytes(out), &written, bytes(body), static_cast<int>(body.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, bytes(tag)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes(out) + written, &tail) != 1)
    return std::nullopt;  // wrong key, wrong associated data or altered bytes: GCM cannot tell which
  return out;
}

}  // namespace signet::crypto
