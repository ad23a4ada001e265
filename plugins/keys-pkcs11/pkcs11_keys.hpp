// keys-pkcs11: key pairs made and used inside a PKCS#11 token. Private
// keys are generated on the token as CKA_SENSITIVE and not CKA_EXTRACTABLE
// (so CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE hold too): no call
// here, nor any other, can read them out.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <signet/sdk.hpp>
#include <string>

#include "objects.hpp"
#include "token.hpp"

namespace signet::keys_pkcs11 {

class Pkcs11Keys final : public KeyProvider {
 public:
  // The hash of RSA-OAEP in wrap() and unwrap(), for its label and MGF1.
  // SoftHSM2 2.6 decrypts RSA-OAEP with SHA-1 only; HSMs mostly offer SHA-256.
  enum class OaepHash { sha256, sha1 };

  Pkcs11Keys(std::unique_ptr<Token> token, SecureRandom& random, OaepHash oaep_hash = OaepHash::sha256)
      : token_(std::move(token)), random_(random), oaep_hash_(oaep_hash) {}

  Result<void> health() override;
  Result<KeyInfo> generate(const KeySpec& spec) override;
  Result<KeyInfo> find(const std::string& key_id) override;
  Result<std::string> sign(const std::string& key_id, SignatureAlgorithm algorithm,
                           const std::string& message) override;
  Result<std::string> wrap(const std::string& key_id, const std::string& plaintext) override;
  Result<std::string> unwrap(const std::string& key_id, const std::string& ciphertext) override;

 private:
  // A key found once: its public half never changes; its handle is valid
  // until the token's generation moves on.
  struct Known {
    KeyName name;
    KeyInfo info;
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    std::uint64_t generation = 0;
  };
  Result<Known> known(const std::string& key_id);
  // The private key's handle inside an operation's session.
  CK_RV handle_in(CK_SESSION_HANDLE session, const std::string& key_id, const KeyName& name, CK_OBJECT_HANDLE& handle);
  Result<KeyInfo> look_up(const std::string& key_id, const KeyName& name);
  // Signs (or decrypts) `input` with the private key of `key_id`, found as `name`.
  Result<std::string> run_private(const std::string& what, const std::string& key_id, const KeyName& name,
                                  CK_MECHANISM mechanism, const std::string& input, bool sign);

  std::unique_ptr<Token> token_;
  SecureRandom& random_;
  OaepHash oaep_hash_;
  std::mutex mutex_;
  std::map<std::string, Known> known_;  // guarded by mutex_
  // One key made at a time: the label check and the generation form one
  // step (two callers cannot both take a label), and SoftHSM2's file
  // object store fails concurrent object creation with CKR_GENERAL_ERROR
  // (SoftHSMv2#573). Keys are made rarely; signing stays concurrent.
  std::mutex creation_mutex_;
};

}  // namespace signet::keys_pkcs11
