#include <pkix/keys.hpp>

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

namespace signet::pkix {
namespace {

Error key_error(const std::string& what) {
  return make_error(ErrorCode::internal, what + ": " + openssl_error());
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Result<EvpPkeyPtr> generate_with(EVP_PKEY_CTX* ctx) {
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx, &key) != 1) return key_error("key generation failed");
  return EvpPkeyPtr(key);
}

Result<EvpPkeyPtr> generate_rsa(int bits) {
  if (bits != 2048 && bits != 3072 && bits != 4096)
    return make_error(ErrorCode::invalid_argument, "RSA keys are 2048, 3072 or 4096 bits, not " + std::to_string(bits));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1)
    return key_error("RSA key generation setup failed");
  return generate_with(ctx.get());
}

Result<EvpPkeyPtr> generate_ec(const std::string& curve) {
  const char* group = curve == "P-256" ? "prime256v1" : curve == "P-384" ? "secp384r1" : nullptr;
  if (group == nullptr) return make_error(ErrorCode::invalid_argument, "ECDSA curves are P-256 or P-384, not " + curve);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_group_name(ctx.get(), group) != 1)
    return key_error("EC key generation setup failed");
  return generate_with(ctx.get());
}

Result<EvpPkeyPtr> generate_ed25519() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return key_error("Ed25519 key generation setup failed");
  return generate_with(ctx.get());
}

const EVP_MD* digest_of(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256:
    case SignatureAlgorithm::rsa_pss_sha256:
    case SignatureAlgorithm::ecdsa_sha256: return EVP_sha256();
    case SignatureAlgorithm::rsa_pkcs1_sha384:
    case SignatureAlgorithm::ecdsa_sha384: return EVP_sha384();
    case SignatureAlgorithm::ed25519: return nullptr;  // pure EdDSA hashes inside (RFC 8032)
  }
  return nullptr;
}

bool key_fits(const EVP_PKEY* key, SignatureAlgorithm algorithm) {
  const std::string type = key_type_name(key);
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256:
    case SignatureAlgorithm::rsa_pkcs1_sha384:
    case SignatureAlgorithm::rsa_pss_sha256: return type == "rsa";
    case SignatureAlgorithm::ecdsa_sha256:
    case SignatureAlgorithm::ecdsa_sha384: return type == "ecdsa";
    case SignatureAlgorithm::ed25519: return type == "ed25519";
  }
  return false;
}

}  // namespace

Result<EvpPkeyPtr> generate_key(const KeyParams& params) {
  if (params.type == "rsa") return generate_rsa(params.bits);
  if (params.type == "ecdsa" || params.type == "ec") return generate_ec(params.curve);
  if (params.type == "ed25519") return generate_ed25519();
  return make_error(ErrorCode::invalid_argument, "key types are rsa, ecdsa and ed25519, not " + params.type);
}

std::string key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "rsa";
    case EVP_PKEY_EC: return "ecdsa";
    case EVP_PKEY_ED25519: return "ed25519";
    default: return "";
  }
}

std::string curve_of(const EVP_PKEY* key) {
  char group[80] = "";
  size_t length = 0;
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return "";
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) return "";
  const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
  return nist != nullptr ? nist : group;
}

std::string public_key_der(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return "";
  OpenSslString owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

Result<EvpPkeyPtr> public_key_from_der(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return make_error(ErrorCode::invalid_argument, "not a DER SubjectPublicKeyInfo: " + openssl_error());
  return key;
}

std::string private_key_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) return "";
  return bio_text(bio.get());
}

Result<std::string> encrypted_private_key_pem(const EVP_PKEY* key, const std::string& passphrase) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // OpenSSL 3 writes PBES2 with PBKDF2-HMAC-SHA256 for a cipher given here.
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), passphrase.data(),
                                            static_cast<int>(passphrase.size()), nullptr, nullptr) != 1)
    return key_error("cannot encrypt the private key");
  return bio_text(bio.get());
}

Result<EvpPkeyPtr> read_private_key_pem(const std::string& pem, const std::string& passphrase) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return key_error("cannot read the private key");
  // A non-null passphrase (even empty) keeps OpenSSL from prompting on a terminal.
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(passphrase.c_str())));
  if (!key) {
    ERR_clear_error();  // the queue may name the passphrase check; say it plainly instead
    return make_error(ErrorCode::invalid_argument, "not a PEM private key, or the passphrase is wrong");
  }
  return key;
}

std::string digest(const EVP_MD* md, std::string_view message) {
  std::string out(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  unsigned int length = 0;
  if (EVP_Digest(message.data(), message.size(), reinterpret_cast<unsigned char*>(out.data()), &length, md, nullptr) != 1)
    return {};
  out.resize(length);
  return out;
}

Result<std::string> sign_message(EVP_PKEY* key, SignatureAlgorithm algorithm, const std::string& message) {
  if (!key_fits(key, algorithm))
    return make_error(ErrorCode::invalid_argument, "a " + key_type_name(key) + " key cannot make this signature");
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest_of(algorithm), nullptr, key) != 1)
    return key_error("signature setup failed");
  if (algorithm == SignatureAlgorithm::rsa_pss_sha256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return key_error("RSA-PSS setup failed");
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, data, message.size()) != 1) return key_error("signing failed");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, data, message.size()) != 1)
    return key_error("signing failed");
  signature.resize(length);
  return signature;
}

Result<SignatureAlgorithm> certificate_signature_algorithm(const EVP_PKEY* issuer_key) {
  const std::string type = key_type_name(issuer_key);
  if (type == "rsa") return SignatureAlgorithm::rsa_pkcs1_sha256;
  if (type == "ed25519") return SignatureAlgorithm::ed25519;
  if (type == "ecdsa") {
    const std::string curve = curve_of(issuer_key);
    if (curve == "P-256") return SignatureAlgorithm::ecdsa_sha256;
    if (curve == "P-384") return SignatureAlgorithm::ecdsa_sha384;
  }
  return make_error(ErrorCode::invalid_argument, "no certificate signature algorithm for this issuer key");
}

Result<std::string> rsa_oaep(EVP_PKEY* key, const std::string& in, Oaep direction, const EVP_MD* hash) {
  const bool encrypt = direction == Oaep::encrypt;
  if (!hash) hash = EVP_sha256();
  if (key_type_name(key) != "rsa")
    return make_error(ErrorCode::invalid_argument, "only RSA keys wrap (RSA-OAEP)");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  const int ready = encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get());
  if (!ctx || ready != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), hash) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), hash) != 1)
    return make_error(ErrorCode::internal, "RSA-OAEP setup failed: " + openssl_error());
  const auto* data = reinterpret_cast<const unsigned char*>(in.data());
  auto run = [&](unsigned char* out, size_t* length) {
    return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, length, data, in.size())
                   : EVP_PKEY_decrypt(ctx.get(), out, length, data, in.size());
  };
  size_t length = 0;
  if (run(nullptr, &length) != 1) return make_error(ErrorCode::invalid_argument, "RSA-OAEP failed: " + openssl_error());
  std::string out(length, '\0');
  if (run(reinterpret_cast<unsigned char*>(out.data()), &length) != 1)
    return make_error(ErrorCode::invalid_argument, encrypt ? "the data is too long to wrap" : "the data does not unwrap with this key");
  out.resize(length);
  return out;
}

}  // namespace signet::pkix
