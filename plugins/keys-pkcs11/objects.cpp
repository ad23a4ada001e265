#include "objects.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>

#include <pkix/keys.hpp>
#include <pkix/openssl_ptr.hpp>

namespace signet::keys_pkcs11 {
namespace {

using ParamBldPtr = pkix::OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = pkix::OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using EcdsaSigPtr = pkix::OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;

// One attribute of variable length, asked for size first (§5.7, C_GetAttributeValue).
CK_RV attribute_of(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type,
                   std::string& value) {
  CK_ATTRIBUTE attribute{type, nullptr, 0};
  CK_RV rv = p11->C_GetAttributeValue(session, object, &attribute, 1);
  if (rv != CKR_OK) return rv;
  value.assign(attribute.ulValueLen, '\0');
  attribute.pValue = value.data();
  return p11->C_GetAttributeValue(session, object, &attribute, 1);
}

std::string spki_of(const char* algorithm, const OSSL_PARAM_BLD* builder) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(const_cast<OSSL_PARAM_BLD*>(builder)));
  pkix::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return "";
  const pkix::EvpPkeyPtr owned(key);
  return pkix::public_key_der(owned.get());
}

std::string rsa_spki(const std::string& modulus, const std::string& exponent) {
  const auto* n_bytes = reinterpret_cast<const unsigned char*>(modulus.data());
  const auto* e_bytes = reinterpret_cast<const unsigned char*>(exponent.data());
  pkix::BignumPtr n(BN_bin2bn(n_bytes, static_cast<int>(modulus.size()), nullptr));
  pkix::BignumPtr e(BN_bin2bn(e_bytes, static_cast<int>(exponent.size()), nullptr));
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return "";
  return spki_of("RSA", builder.get());
}

// CKA_EC_POINT is the DER of an OCTET STRING holding the point (§2.3.3 of
// the mechanisms); a few modules give the bare point.
std::string point_of(const std::string& ec_point) {
  const auto* p = reinterpret_cast<const unsigned char*>(ec_point.data());
  pkix::Asn1OctetStringPtr octets(d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(ec_point.size())));
  if (octets && p == reinterpret_cast<const unsigned char*>(ec_point.data()) + ec_point.size())
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(octets.get())),
                       static_cast<std::size_t>(ASN1_STRING_length(octets.get())));
  return ec_point;
}

std::string ec_spki(const std::string& params, const std::string& ec_point) {
  const char* group = params == ec_params_of("P-256")   ? "prime256v1"
                      : params == ec_params_of("P-384") ? "secp384r1"
                                                        : nullptr;
  if (!group) return "";
  const std::string point = point_of(ec_point);
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return "";
  return spki_of("EC", builder.get());
}

}  // namespace

std::vector<KeyName> names_for(const std::string& key_id) {
  const std::string label_prefix = "label:";
  if (key_id.rfind(label_prefix, 0) == 0) return {KeyName{CKA_LABEL, key_id.substr(label_prefix.size())}};
  auto digit = [](char c) { return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1; };
  std::string bytes;
  for (std::size_t i = 0; i + 1 < key_id.size(); i += 2) {
    const int high = digit(key_id[i]), low = digit(key_id[i + 1]);
    if (high < 0 || low < 0) break;
    bytes += static_cast<char>(high * 16 + low);
  }
  std::vector<KeyName> names;
  if (!key_id.empty() && bytes.size() * 2 == key_id.size()) names.push_back({CKA_ID, bytes});
  if (!key_id.empty()) names.push_back({CKA_LABEL, key_id});
  return names;
}

CK_OBJECT_HANDLE find_object(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_OBJECT_CLASS object_class,
                             const KeyName& name, CK_RV& rv) {
  std::string value = name.value;
  CK_ATTRIBUTE search[] = {{CKA_CLASS, &object_class, sizeof object_class},
                           {name.attribute, value.data(), value.size()}};
  rv = p11->C_FindObjectsInit(session, search, 2);
  if (rv != CKR_OK) return CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE found = CK_INVALID_HANDLE;
  CK_ULONG count = 0;
  rv = p11->C_FindObjects(session, &found, 1, &count);
  const CK_RV finished = p11->C_FindObjectsFinal(session);
  if (rv == CKR_OK) rv = finished;
  return rv == CKR_OK && count == 1 ? found : CK_INVALID_HANDLE;
}

CK_RV key_type_of(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key, CK_KEY_TYPE& type) {
  CK_ATTRIBUTE attribute{CKA_KEY_TYPE, &type, sizeof type};
  return p11->C_GetAttributeValue(session, key, &attribute, 1);
}

CK_RV read_public_key(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_KEY_TYPE type, CK_OBJECT_HANDLE private_key,
                      CK_OBJECT_HANDLE public_key, std::string& spki) {
  spki.clear();
  if (type == CKK_RSA) {
    std::string modulus, exponent;
    CK_RV rv = attribute_of(p11, session, private_key, CKA_MODULUS, modulus);
    if (rv == CKR_OK) rv = attribute_of(p11, session, private_key, CKA_PUBLIC_EXPONENT, exponent);
    if (rv == CKR_OK) spki = rsa_spki(modulus, exponent);
    return rv;
  }
  if (type != CKK_EC || public_key == CK_INVALID_HANDLE) return CKR_OK;
  std::string params, point;
  CK_RV rv = attribute_of(p11, session, public_key, CKA_EC_PARAMS, params);
  if (rv == CKR_OK) rv = attribute_of(p11, session, public_key, CKA_EC_POINT, point);
  if (rv == CKR_OK) spki = ec_spki(params, point);
  return rv;
}

std::string ec_params_of(const std::string& curve) {
  // 1.2.840.10045.3.1.7 (prime256v1) and 1.3.132.0.34 (secp384r1), RFC 5480 §2.1.1.1.
  if (curve == "P-256") return std::string("\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10);
  if (curve == "P-384") return std::string("\x06\x05\x2b\x81\x04\x00\x22", 7);
  return "";
}

std::string ecdsa_der_of(const std::string& raw) {
  const std::size_t half = raw.size() / 2;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + half, static_cast<int>(half), nullptr);
  EcdsaSigPtr signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  if (length <= 0) return "";
  const pkix::OpenSslString owned(der);
  return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

}  // namespace signet::keys_pkcs11
