#include "lint.hpp"

#include <algorithm>
#include <set>

#include <pkix/der.hpp>
#include <pkix/keys.hpp>

#include <openssl/x509_vfy.h>

#include "extensions.hpp"

namespace signet::ca_internal {
namespace {

using namespace signet::pkix;
using Problems = std::vector<std::string>;

// RFC 5280 §4.1.2.2: positive, at most 20 octets.
void lint_serial(X509* c, Problems& p) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(c);
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) p.push_back("the serial number is negative");
  const std::string hex = serial_hex(serial);
  if (hex.find_first_not_of('0') == std::string::npos) p.push_back("the serial number is zero");
  // Encoded, a leading 0x00 octet keeps a value with its top bit set positive.
  const std::size_t octets = hex.size() / 2 + (hex.size() >= 2 && hex[0] >= '8' ? 1 : 0);
  if (octets > 20) p.push_back("the serial number is longer than 20 octets");
}

void lint_validity(X509* c, const X509* issuer, Problems& p) {
  if (ASN1_TIME_compare(X509_get0_notBefore(c), X509_get0_notAfter(c)) >= 0) p.push_back("notBefore is not before notAfter");
  if (ASN1_TIME_compare(X509_get0_notBefore(c), X509_get0_notBefore(issuer)) < 0)
    p.push_back("notBefore is before the issuer's notBefore");
  if (ASN1_TIME_compare(X509_get0_notAfter(c), X509_get0_notAfter(issuer)) > 0)
    p.push_back("notAfter is after the issuer's notAfter");
}

// RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
void lint_duplicates(X509* c, Problems& p) {
  std::set<std::string> seen;
  for (int i = 0; i < X509_get_ext_count(c); ++i) {
    char oid[80];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(X509_get_ext(c, i)), 1);
    if (!seen.insert(oid).second) p.push_back(std::string("extension ") + oid + " appears twice");
  }
}

void lint_basic_constraints(X509* c, Problems& p) {
  int critical = -1;
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(c, NID_basic_constraints, &critical, nullptr)));
  if (!bc) p.push_back("basicConstraints is missing");
  else if (bc->ca) p.push_back("an end-entity certificate has basicConstraints CA:TRUE");
}

void lint_key_usage(X509* c, const LeafPlan& plan, Problems& p) {
  const uint32_t usage = X509_get_key_usage(c);
  if (usage == UINT32_MAX || usage == 0) return p.push_back("keyUsage is missing or empty");
  if (usage & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) p.push_back("an end-entity certificate may not sign certificates or CRLs");
  const bool rsa = plan.key_type == "rsa", ec = plan.key_type == "ecdsa";
  if (!rsa && (usage & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)))
    p.push_back("keyEncipherment/dataEncipherment needs an RSA key, not " + plan.key_type);
  if (!ec && (usage & KU_KEY_AGREEMENT)) p.push_back("keyAgreement needs an EC key, not " + plan.key_type);
}

void lint_extended_key_usage(X509* c, const LeafPlan& plan, Problems& p) {
  ExtendedKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(c, NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return;
  std::set<int> allowed;
  for (const auto& name : plan.extended_key_usage) allowed.insert(extended_key_usage_nid(name));
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i));
    if (nid == NID_anyExtendedKeyUsage) p.push_back("anyExtendedKeyUsage is not issued");
    else if (!allowed.count(nid)) p.push_back(std::string("extendedKeyUsage ") + OBJ_nid2sn(nid) + " is not in the profile");
  }
}

bool ldh_label(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

// RFC 5280 §4.2.1.6 "preferred name syntax", lower case, with an optional
// whole-label wildcard on the left (RFC 6125 §6.4.3).
bool valid_dns_san(std::string name) {
  if (name.rfind("*.", 0) == 0) name.erase(0, 2);
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  for (std::size_t dot = name.find('.'); ; dot = name.find('.', start)) {
    if (!ldh_label(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::string ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void lint_name(const GENERAL_NAME* n, const LeafPlan& plan, Problems& p) {
  switch (n->type) {
    case GEN_DNS: {
      const std::string name = ia5(n->d.dNSName);
      if (!valid_dns_san(name)) p.push_back("SAN " + name + " is not a valid DNS name");
      else if (!listed(plan.sans.dns, name)) p.push_back("SAN " + name + " was not approved");
      return;
    }
    case GEN_IPADD:
      if (const int len = ASN1_STRING_length(n->d.iPAddress); len != 4 && len != 16) p.push_back("an IP SAN is not 4 or 16 octets");
      return;
    case GEN_EMAIL:
      if (ia5(n->d.rfc822Name).find('@') == std::string::npos) p.push_back("an email SAN has no @");
      return;
    case GEN_URI:
      if (ia5(n->d.uniformResourceIdentifier).find(':') == std::string::npos) p.push_back("a URI SAN has no scheme");
      return;
    default:
      p.push_back("a SAN of an unsupported type");
  }
}

void lint_names(X509* c, const LeafPlan& plan, Problems& p) {
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, &critical, nullptr)));
  const bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(c)) == 0;
  if (!names) {
    if (empty_subject) p.push_back("the subject is empty and there is no subjectAltName");
    return;
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) p.push_back("subjectAltName is empty");
  if (empty_subject && critical != 1) p.push_back("subjectAltName must be critical when the subject is empty");
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) lint_name(sk_GENERAL_NAME_value(names.get(), i), plan, p);
}

void lint_key_ids(X509* c, const X509* issuer, Problems& p) {
  if (!subject_key_id_of(c)) p.push_back("subjectKeyIdentifier is missing");
  OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(
      static_cast<AUTHORITY_KEYID*>(X509_get_ext_d2i(c, NID_authority_key_identifier, nullptr, nullptr)));
  const Asn1OctetStringPtr ski = subject_key_id_of(issuer);
  if (!akid || akid->keyid == nullptr || !ski || ASN1_OCTET_STRING_cmp(akid->keyid, ski.get()) != 0)
    p.push_back("authorityKeyIdentifier does not match the issuer's subjectKeyIdentifier");
}

// RFC 5280 §4.2.1.10: names outside the issuer's constraints would make
// every relying party reject the certificate.
void lint_name_constraints(X509* c, const X509* issuer, Problems& p) {
  OpenSslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free> nc(
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(issuer, NID_name_constraints, nullptr, nullptr)));
  if (!nc) return;
  if (const int result = NAME_CONSTRAINTS_check(c, nc.get()); result != X509_V_OK)
    p.push_back(std::string("a name is outside the issuing CA's name constraints (") +
                X509_verify_cert_error_string(result) + ")");
}

}  // namespace

std::vector<std::string> lint_leaf(X509* tbs, const X509* issuer, const LeafPlan& plan) {
  Problems p;
  // Caches the parsed extensions (key usage, key ids) that the checks read.
  if (X509_check_purpose(tbs, -1, 0) != 1) p.push_back("the extensions do not parse: " + openssl_error());
  lint_serial(tbs, p);
  lint_validity(tbs, issuer, p);
  lint_duplicates(tbs, p);
  lint_basic_constraints(tbs, p);
  lint_key_usage(tbs, plan, p);
  lint_extended_key_usage(tbs, plan, p);
  lint_names(tbs, plan, p);
  lint_key_ids(tbs, issuer, p);
  lint_name_constraints(tbs, issuer, p);
  return p;
}

}  // namespace signet::ca_internal
