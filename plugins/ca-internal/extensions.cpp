#include "extensions.hpp"

#include <array>
#include <openssl/sha.h>

namespace signet::ca_internal {
namespace {

using namespace signet::pkix;

constexpr std::array<const char*, 9> kKeyUsageBits{
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "key_cert_sign",     "crl_sign",           "encipher_only",    "decipher_only"};

GENERAL_NAME* ia5_name(int type, const std::string& text) {
  OpenSslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free> value(ASN1_IA5STRING_new());
  if (!value || ASN1_STRING_set(value.get(), text.data(), static_cast<int>(text.size())) != 1) return nullptr;
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name != nullptr) GENERAL_NAME_set0_value(name, type, value.release());
  return name;
}

GENERAL_NAME* ip_name(const std::string& text) {
  ASN1_OCTET_STRING* octets = a2i_IPADDRESS(text.c_str());
  if (octets == nullptr) return nullptr;
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_OCTET_STRING_free(octets);
    return nullptr;
  }
  GENERAL_NAME_set0_value(name, GEN_IPADD, octets);
  return name;
}

bool push_names(GENERAL_NAMES* names, const std::vector<std::string>& values, int type) {
  for (const auto& v : values) {
    GENERAL_NAME* name = type == GEN_IPADD ? ip_name(v) : ia5_name(type, v);
    if (name == nullptr || sk_GENERAL_NAME_push(names, name) == 0) {
      GENERAL_NAME_free(name);
      return false;
    }
  }
  return true;
}

// A GeneralSubtree of RFC 5280 §4.2.1.10: a DNS name, or an IP range
// encoded as address followed by mask (8 or 32 octets).
GENERAL_SUBTREE* subtree(const std::string& value, bool ip) {
  GENERAL_SUBTREE* tree = GENERAL_SUBTREE_new();
  if (tree == nullptr) return nullptr;
  GENERAL_NAME_free(tree->base);
  tree->base = nullptr;
  if (ip) {
    ASN1_OCTET_STRING* range = a2i_IPADDRESS_NC(value.c_str());
    if (range != nullptr && (tree->base = GENERAL_NAME_new()) != nullptr) GENERAL_NAME_set0_value(tree->base, GEN_IPADD, range);
    else ASN1_OCTET_STRING_free(range);
  } else {
    tree->base = ia5_name(GEN_DNS, value);
  }
  if (tree->base == nullptr) {
    GENERAL_SUBTREE_free(tree);
    return nullptr;
  }
  return tree;
}

bool push_subtrees(STACK_OF(GENERAL_SUBTREE) * *stack, const std::vector<std::string>& values, bool ip) {
  if (values.empty()) return true;
  if (*stack == nullptr && (*stack = sk_GENERAL_SUBTREE_new_null()) == nullptr) return false;
  for (const auto& v : values) {
    GENERAL_SUBTREE* tree = subtree(v, ip);
    if (tree == nullptr || sk_GENERAL_SUBTREE_push(*stack, tree) == 0) {
      GENERAL_SUBTREE_free(tree);
      return false;
    }
  }
  return true;
}

Result<X509ExtensionPtr> conf_extension(int nid, const std::string& value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str()));
  if (!ext) return make_error(ErrorCode::invalid_config, "cannot encode URL extension " + value + ": " + openssl_error());
  return ext;
}

}  // namespace

int key_usage_bit(const std::string& name) {
  for (std::size_t i = 0; i < kKeyUsageBits.size(); ++i)
    if (name == kKeyUsageBits[i]) return static_cast<int>(i);
  return name == "non_repudiation" ? 1 : -1;  // the older name of content_commitment
}

int extended_key_usage_nid(const std::string& name) {
  if (name == "server_auth") return NID_server_auth;
  if (name == "client_auth") return NID_client_auth;
  if (name == "code_signing") return NID_code_sign;
  if (name == "email_protection") return NID_email_protect;
  if (name == "time_stamping") return NID_time_stamp;
  if (name == "ocsp_signing") return NID_OCSP_sign;
  return NID_undef;
}

bool add_basic_constraints(X509* cert, bool ca, int path_length) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) return false;
  bc->ca = ca ? 0xff : 0;
  if (ca && path_length >= 0) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, path_length) != 1) return false;
  }
  return X509_add1_ext_i2d(cert, NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT) == 1;  // §4.2.1.9: critical
}

bool add_key_usage(X509* cert, const std::vector<std::string>& usages) {
  OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free> bits(ASN1_BIT_STRING_new());
  if (!bits) return false;
  for (const auto& usage : usages) {
    const int bit = key_usage_bit(usage);
    if (bit < 0 || ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) return false;
  }
  return X509_add1_ext_i2d(cert, NID_key_usage, bits.get(), 1, X509V3_ADD_DEFAULT) == 1;  // §4.2.1.3: critical
}

bool add_extended_key_usage(X509* cert, const std::vector<std::string>& usages) {
  if (usages.empty()) return true;
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return false;
  for (const auto& usage : usages) {
    const int nid = extended_key_usage_nid(usage);
    if (nid == NID_undef || sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(nid)) == 0) return false;
  }
  return X509_add1_ext_i2d(cert, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool add_subject_alt_names(X509* cert, const SubjectAltNames& sans, bool critical) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names || !push_names(names.get(), sans.dns, GEN_DNS) || !push_names(names.get(), sans.ip, GEN_IPADD) ||
      !push_names(names.get(), sans.email, GEN_EMAIL) || !push_names(names.get(), sans.uri, GEN_URI))
    return false;
  if (sk_GENERAL_NAME_num(names.get()) == 0) return true;
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) == 1;
}

// RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
bool add_subject_key_id(X509* cert) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int length = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), digest, &length) != 1) return false;
  Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (!id || ASN1_OCTET_STRING_set(id.get(), digest, static_cast<int>(length)) != 1) return false;
  return X509_add1_ext_i2d(cert, NID_subject_key_identifier, id.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

Asn1OctetStringPtr subject_key_id_of(const X509* cert) {
  // Decoded from the extension itself: OpenSSL's cached copy may predate it
  // on a certificate still being built (a root signing itself).
  return Asn1OctetStringPtr(static_cast<ASN1_OCTET_STRING*>(
      X509_get_ext_d2i(cert, NID_subject_key_identifier, nullptr, nullptr)));
}

// RFC 5280 §4.2.1.1: the keyIdentifier of the issuer's subjectKeyIdentifier.
bool add_authority_key_id(X509* cert, const X509* issuer) {
  Asn1OctetStringPtr issuer_id = subject_key_id_of(issuer);
  if (!issuer_id) return false;
  OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(AUTHORITY_KEYID_new());
  if (!akid) return false;
  akid->keyid = issuer_id.release();
  return X509_add1_ext_i2d(cert, NID_authority_key_identifier, akid.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

bool add_name_constraints(X509* cert, const NameConstraints& c) {
  if (c.empty()) return true;
  OpenSslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free> nc(NAME_CONSTRAINTS_new());
  if (!nc || !push_subtrees(&nc->permittedSubtrees, c.permitted_dns, false) ||
      !push_subtrees(&nc->permittedSubtrees, c.permitted_ip, true) ||
      !push_subtrees(&nc->excludedSubtrees, c.excluded_dns, false) ||
      !push_subtrees(&nc->excludedSubtrees, c.excluded_ip, true))
    return false;
  return X509_add1_ext_i2d(cert, NID_name_constraints, nc.get(), 1, X509V3_ADD_DEFAULT) == 1;  // §4.2.1.10: critical
}

Result<Extensions> url_extensions(const Urls& urls) {
  Extensions out;
  if (!urls.crl.empty()) {
    auto ext = conf_extension(NID_crl_distribution_points, "URI:" + urls.crl);
    if (!ext) return std::move(ext).error();
    out.push_back(std::move(ext).value());
  }
  std::string aia;
  if (!urls.ocsp.empty()) aia = "OCSP;URI:" + urls.ocsp;
  if (!urls.ca_issuers.empty()) aia += (aia.empty() ? "" : ",") + std::string("caIssuers;URI:") + urls.ca_issuers;
  if (!aia.empty()) {
    auto ext = conf_extension(NID_info_access, aia);
    if (!ext) return std::move(ext).error();
    out.push_back(std::move(ext).value());
  }
  return out;
}

bool add_all(X509* cert, const Extensions& extensions) {
  for (const auto& ext : extensions)
    if (X509_add_ext(cert, ext.get(), -1) != 1) return false;
  return true;
}

Result<std::shared_ptr<const Extensions>> UrlExtensionCache::get(const StatusUrls& host) {
  const Urls urls{configured_.crl.empty() ? host.crl : configured_.crl,
                  configured_.ocsp.empty() ? host.ocsp : configured_.ocsp,
                  configured_.ca_issuers.empty() ? host.ca_issuers : configured_.ca_issuers};
  const std::string key = urls.crl + '\n' + urls.ocsp + '\n' + urls.ca_issuers;
  std::lock_guard lock(mutex_);
  if (auto it = made_.find(key); it != made_.end()) return it->second;
  auto made = url_extensions(urls);
  if (!made) return std::move(made).error();
  if (made_.size() >= kMaxEntries) made_.clear();
  auto shared = std::make_shared<const Extensions>(std::move(made).value());
  made_.emplace(key, shared);
  return shared;
}

bool add_ocsp_no_check(X509* cert) {
  OpenSslPtr<ASN1_NULL, ASN1_NULL_free> null(ASN1_NULL_new());
  return null && X509_add1_ext_i2d(cert, NID_id_pkix_OCSP_noCheck, null.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

}  // namespace signet::ca_internal
