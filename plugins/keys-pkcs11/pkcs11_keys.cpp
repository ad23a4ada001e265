#include "pkcs11_keys.hpp"

#include <openssl/evp.h>

#include <array>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>

namespace signet::keys_pkcs11 {
namespace {

Result<void> check_spec(const KeySpec& spec) {
  if (spec.label.empty() || spec.label.size() > 64)
    return make_error(ErrorCode::invalid_argument, "a key on a token needs a label of 1 to 64 characters");
  if (spec.type == KeyType::rsa && spec.bits != 2048 && spec.bits != 3072 && spec.bits != 4096)
    return make_error(ErrorCode::invalid_argument, "RSA keys on a token have 2048, 3072 or 4096 bits");
  if (spec.type == KeyType::ec && ec_params_of(spec.curve).empty())
    return make_error(ErrorCode::invalid_argument, "EC keys on a token use P-256 or P-384, not " + spec.curve);
  if (spec.type == KeyType::ed25519)
    return make_error(ErrorCode::unsupported, "keys-pkcs11 makes RSA and ECDSA keys, not Ed25519");
  return {};
}

KeyType key_type(CK_KEY_TYPE type) { return type == CKK_RSA ? KeyType::rsa : KeyType::ec; }

// The session calls of a single-part operation that returns bytes. A
// buffer larger than any signature or unwrapped key here (RSA-4096 gives
// 512 bytes) usually saves asking for the length first; when it is too
// small the module says how much it needs and the operation stays active
// (PKCS #11 §5.2, output in a variable-length buffer).
template <typename Init, typename Run>
CK_RV run_once(Init init, Run run, const std::string& input, std::string& output) {
  CK_RV rv = init();
  if (rv != CKR_OK) return rv;
  auto* data = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(input.data()));
  output.assign(1024, '\0');
  CK_ULONG length = output.size();
  rv = run(data, input.size(), reinterpret_cast<CK_BYTE_PTR>(output.data()), &length);
  if (rv == CKR_BUFFER_TOO_SMALL) {
    output.assign(length, '\0');
    rv = run(data, input.size(), reinterpret_cast<CK_BYTE_PTR>(output.data()), &length);
  }
  output.resize(rv == CKR_OK ? length : 0);
  return rv;
}

}  // namespace

Result<void> Pkcs11Keys::health() {
  return token_->run("a session check", [&](CK_SESSION_HANDLE session) {
    CK_SESSION_INFO info{};
    return token_->p11()->C_GetSessionInfo(session, &info);
  });
}

Result<KeyInfo> Pkcs11Keys::generate(const KeySpec& spec) {
  if (auto fine = check_spec(spec); !fine) return std::move(fine).error();
  std::lock_guard creating(creation_mutex_);
  CK_RV search = CKR_OK;
  bool taken = false;
  auto checked = token_->run("a label search", [&](CK_SESSION_HANDLE session) {
    taken = find_object(token_->p11(), session, CKO_PRIVATE_KEY, {CKA_LABEL, spec.label}, search) != CK_INVALID_HANDLE;
    return search;
  });
  if (!checked) return std::move(checked).error();
  if (taken)
    return make_error(ErrorCode::conflict,
                      "a key labelled '" + spec.label + "' is already on " + token_->description());

  std::array<std::uint8_t, 16> id_bytes{};
  random_.fill(id_bytes);
  std::string id(id_bytes.begin(), id_bytes.end());
  std::string label = spec.label;
  std::string params = ec_params_of(spec.curve);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG bits = static_cast<CK_ULONG>(spec.bits);
  CK_BYTE exponent[] = {0x01, 0x00, 0x01};
  const bool rsa = spec.type == KeyType::rsa;
  // Every private key: a token object, private, sensitive, never extractable,
  // for signing; RSA keys also decrypt, for unwrap() (RSA-OAEP). Nothing else.
  std::vector<CK_ATTRIBUTE> private_template = {
      {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes}, {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_SIGN, &yes, sizeof yes},    {CKA_DECRYPT, rsa ? &yes : &no, sizeof yes},
      {CKA_UNWRAP, &no, sizeof no},      {CKA_DERIVE, &no, sizeof no},    {CKA_LABEL, label.data(), label.size()},
      {CKA_ID, id.data(), id.size()}};
  std::vector<CK_ATTRIBUTE> public_template = {{CKA_TOKEN, &yes, sizeof yes},
                                               {CKA_VERIFY, &yes, sizeof yes},
                                               {CKA_ENCRYPT, rsa ? &yes : &no, sizeof yes},
                                               {CKA_WRAP, &no, sizeof no},
                                               {CKA_LABEL, label.data(), label.size()},
                                               {CKA_ID, id.data(), id.size()}};
  if (rsa) {
    public_template.push_back({CKA_MODULUS_BITS, &bits, sizeof bits});
    public_template.push_back({CKA_PUBLIC_EXPONENT, exponent, sizeof exponent});
  } else {
    public_template.push_back({CKA_EC_PARAMS, params.data(), params.size()});
  }
  CK_MECHANISM mechanism{rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  std::string spki;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
  auto made = token_->run("key generation", [&](CK_SESSION_HANDLE session) {
    auto* p11 = token_->p11();
    CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
    CK_RV rv = p11->C_GenerateKeyPair(session, &mechanism, public_template.data(), public_template.size(),
                                      private_template.data(), private_template.size(), &public_key, &private_key);
    if (rv == CKR_OK) rv = read_public_key(p11, session, rsa ? CKK_RSA : CKK_EC, private_key, public_key, spki);
    return rv;
  });
  if (!made) return std::move(made).error();
  if (spki.empty()) return make_error(ErrorCode::internal, "the token made a key whose public half does not read");
  KeyInfo info{pkix::to_hex(id), spec.type, spki};
  Known entry;
  entry.name = KeyName{CKA_ID, id};
  entry.info = info;
  entry.handle = private_key;
  entry.generation = token_->generation();
  std::lock_guard lock(mutex_);
  known_.insert_or_assign(info.key_id, std::move(entry));
  return info;
}

Result<KeyInfo> Pkcs11Keys::find(const std::string& key_id) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  return key.value().info;
}

Result<Pkcs11Keys::Known> Pkcs11Keys::known(const std::string& key_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = known_.find(key_id); it != known_.end()) return it->second;
  }
  for (const KeyName& name : names_for(key_id)) {
    auto info = look_up(key_id, name);
    if (!info && info.error().code == ErrorCode::not_found) continue;
    if (!info) return std::move(info).error();
    std::lock_guard lock(mutex_);
    return known_.try_emplace(key_id, Known{name, info.value(), CK_INVALID_HANDLE, 0}).first->second;
  }
  return make_error(ErrorCode::not_found, "no private key " + key_id + " on " + token_->description());
}

Result<KeyInfo> Pkcs11Keys::look_up(const std::string& key_id, const KeyName& name) {
  bool present = false;
  KeyInfo info{key_id, KeyType::ec, ""};
  auto found = token_->run("a key search", [&](CK_SESSION_HANDLE session) {
    auto* p11 = token_->p11();
    CK_RV rv = CKR_OK;
    const CK_OBJECT_HANDLE private_key = find_object(p11, session, CKO_PRIVATE_KEY, name, rv);
    present = private_key != CK_INVALID_HANDLE;
    if (!present) return rv;
    CK_KEY_TYPE type = 0;
    if ((rv = key_type_of(p11, session, private_key, type)) != CKR_OK) return rv;
    info.type = key_type(type);
    const CK_OBJECT_HANDLE public_key = find_object(p11, session, CKO_PUBLIC_KEY, name, rv);
    return read_public_key(p11, session, type, private_key, public_key, info.public_key_der);
  });
  if (!found) return std::move(found).error();
  if (!present) return make_error(ErrorCode::not_found, "no private key " + key_id + " on " + token_->description());
  if (info.public_key_der.empty())
    return make_error(ErrorCode::invalid_argument, "the key " + key_id + " on " + token_->description() +
                                                       " is neither RSA nor an EC key with its public key object");
  return info;
}

CK_RV Pkcs11Keys::handle_in(CK_SESSION_HANDLE session, const std::string& key_id, const KeyName& name,
                            CK_OBJECT_HANDLE& handle) {
  const std::uint64_t generation = token_->generation();
  {
    std::lock_guard lock(mutex_);
    const Known& key = known_.at(key_id);
    if (key.generation == generation && key.handle != CK_INVALID_HANDLE) {
      handle = key.handle;
      return CKR_OK;
    }
  }
  CK_RV rv = CKR_OK;
  handle = find_object(token_->p11(), session, CKO_PRIVATE_KEY, name, rv);
  if (rv != CKR_OK) return rv;
  if (handle == CK_INVALID_HANDLE) return CKR_KEY_HANDLE_INVALID;  // gone from the token since
  std::lock_guard lock(mutex_);
  Known& key = known_.at(key_id);
  key.handle = handle;
  key.generation = generation;
  return CKR_OK;
}

Result<std::string> Pkcs11Keys::run_private(const std::string& what, const std::string& key_id, const KeyName& name,
                                            CK_MECHANISM mechanism, const std::string& input, bool sign) {
  std::string output;
  auto done = token_->run(what + " with " + key_id, [&](CK_SESSION_HANDLE session) {
    auto* p11 = token_->p11();
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    if (const CK_RV rv = handle_in(session, key_id, name, handle); rv != CKR_OK) return rv;
    if (sign)
      return run_once([&] { return p11->C_SignInit(session, &mechanism, handle); },
                      [&](auto... args) { return p11->C_Sign(session, args...); }, input, output);
    // SoftHSM2 answers a ciphertext whose padding does not decode with
    // CKR_GENERAL_ERROR; the standard's answer is CKR_ENCRYPTED_DATA_INVALID.
    return run_once([&] { return p11->C_DecryptInit(session, &mechanism, handle); },
                    [&](auto... args) {
                      const CK_RV rv = p11->C_Decrypt(session, args...);
                      return rv == CKR_GENERAL_ERROR ? CKR_ENCRYPTED_DATA_INVALID : rv;
                    },
                    input, output);
  });
  if (!done) return std::move(done).error();
  return output;
}

Result<std::string> Pkcs11Keys::sign(const std::string& key_id, SignatureAlgorithm algorithm,
                                     const std::string& message) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  const bool rsa = key.value().info.type == KeyType::rsa;
  const KeyName& name = key.value().name;
  CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};  // salt as long as the hash (RFC 8017 §9.1)
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256:
    case SignatureAlgorithm::rsa_pkcs1_sha384:
    case SignatureAlgorithm::rsa_pss_sha256:
      if (!rsa) break;
      if (algorithm == SignatureAlgorithm::rsa_pss_sha256)
        return run_private("RSA-PSS signing", key_id, name, {CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss}, message, true);
      return run_private(
          "RSA signing", key_id, name,
          {algorithm == SignatureAlgorithm::rsa_pkcs1_sha256 ? CKM_SHA256_RSA_PKCS : CKM_SHA384_RSA_PKCS, nullptr, 0},
          message, true);
    case SignatureAlgorithm::ecdsa_sha256:
    case SignatureAlgorithm::ecdsa_sha384: {
      if (rsa) break;
      // SoftHSM and many HSMs lack CKM_ECDSA_SHA256: the hash is made here.
      const EVP_MD* md = algorithm == SignatureAlgorithm::ecdsa_sha256 ? EVP_sha256() : EVP_sha384();
      auto raw = run_private("ECDSA signing", key_id, name, {CKM_ECDSA, nullptr, 0}, pkix::digest(md, message), true);
      if (!raw) return raw;
      std::string der = ecdsa_der_of(raw.value());
      if (der.empty()) return make_error(ErrorCode::internal, "the token's ECDSA signature has no DER form");
      return der;
    }
    case SignatureAlgorithm::ed25519:
      break;
  }
  return make_error(ErrorCode::invalid_argument, "the key " + key_id + " cannot make signatures of this algorithm");
}

Result<std::string> Pkcs11Keys::wrap(const std::string& key_id, const std::string& plaintext) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  // Encrypting needs only the public half, which the token gave us.
  auto public_key = pkix::public_key_from_der(key.value().info.public_key_der);
  if (!public_key) return std::move(public_key).error();
  return pkix::rsa_oaep(public_key.value().get(), plaintext, pkix::Oaep::encrypt,
                        oaep_hash_ == OaepHash::sha1 ? EVP_sha1() : EVP_sha256());
}

Result<std::string> Pkcs11Keys::unwrap(const std::string& key_id, const std::string& ciphertext) {
  auto key = known(key_id);
  if (!key) return std::move(key).error();
  if (key.value().info.type != KeyType::rsa)
    return make_error(ErrorCode::invalid_argument, "only RSA keys wrap (RSA-OAEP)");
  const bool sha1 = oaep_hash_ == OaepHash::sha1;
  CK_RSA_PKCS_OAEP_PARAMS oaep{sha1 ? CKM_SHA_1 : CKM_SHA256, sha1 ? CKG_MGF1_SHA1 : CKG_MGF1_SHA256,
                               CKZ_DATA_SPECIFIED, nullptr, 0};
  auto plain = run_private("RSA-OAEP decryption", key_id, key.value().name, {CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep},
                           ciphertext, false);
  if (!plain && plain.error().code == ErrorCode::invalid_argument)
    return make_error(ErrorCode::invalid_argument,
                      "the data does not unwrap with this key, or the token refuses RSA-OAEP with " +
                          std::string(sha1 ? "SHA-1" : "SHA-256 (SoftHSM2 needs oaep_hash: sha1)") + ": " +
                          plain.error().message);
  return plain;
}

}  // namespace signet::keys_pkcs11
