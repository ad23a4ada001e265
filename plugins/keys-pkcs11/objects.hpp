// Objects on a token: finding keys by CKA_ID or CKA_LABEL, reading the
// public half of a key pair into a SubjectPublicKeyInfo, the templates of
// new key pairs, and ECDSA's raw signature in DER.
#pragma once

#include <p11-kit/pkcs11.h>

#include <signet/keys.hpp>
#include <signet/result.hpp>
#include <string>
#include <vector>

namespace signet::keys_pkcs11 {

// How a key on a token is found: by CKA_ID or CKA_LABEL.
struct KeyName {
  CK_ATTRIBUTE_TYPE attribute;  // CKA_ID or CKA_LABEL
  std::string value;            // bytes of the id, or the label
};
// The names a key id may mean, in the order to try them: "label:<CKA_LABEL>"
// only the label; hex (what generate() returns) the CKA_ID, then the label;
// anything else the label.
std::vector<KeyName> names_for(const std::string& key_id);

// The first object of `object_class` named so, CK_INVALID_HANDLE when none;
// CKR_* of a failed search in `rv`.
CK_OBJECT_HANDLE find_object(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_OBJECT_CLASS object_class,
                             const KeyName& name, CK_RV& rv);

// CKK_RSA or CKK_EC of a key object.
CK_RV key_type_of(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key, CK_KEY_TYPE& type);

// The SubjectPublicKeyInfo (DER) of a key pair: RSA from the private key's
// public attributes, EC from its public key object (CKA_EC_POINT lives only
// there). An empty `spki` with CKR_OK: the public half is not on the token.
CK_RV read_public_key(CK_FUNCTION_LIST* p11, CK_SESSION_HANDLE session, CK_KEY_TYPE type, CK_OBJECT_HANDLE private_key,
                      CK_OBJECT_HANDLE public_key, std::string& spki);

// The DER of a named curve's OID for CKA_EC_PARAMS; "" for curves not offered.
std::string ec_params_of(const std::string& curve);

// CKM_ECDSA gives r || s (PKCS #11 v2.40 Current Mechanisms §2.3.1);
// X.509 wants ECDSA-Sig-Value (RFC 5480 §2.2.3).
std::string ecdsa_der_of(const std::string& raw);

}  // namespace signet::keys_pkcs11
