// X.509 v3 extensions (RFC 5280 §4.2), added to a certificate under
// construction. Each returns false with the OpenSSL error queue set.
#pragma once

#include <string>
#include <vector>

#include <signet/ca.hpp>
#include <pkix/openssl_ptr.hpp>

#include "config.hpp"

namespace signet::ca_internal {

// "digital_signature", "content_commitment", "key_encipherment", ...: the
// names configuration and profiles use, in RFC 5280 §4.2.1.3 bit order.
int key_usage_bit(const std::string& name);  // -1 when unknown
int extended_key_usage_nid(const std::string& name);  // NID_undef when unknown

bool add_basic_constraints(X509* cert, bool ca, int path_length);
bool add_key_usage(X509* cert, const std::vector<std::string>& usages);
bool add_extended_key_usage(X509* cert, const std::vector<std::string>& usages);
bool add_subject_alt_names(X509* cert, const SubjectAltNames& sans, bool critical);
bool add_subject_key_id(X509* cert);
pkix::Asn1OctetStringPtr subject_key_id_of(const X509* cert);  // null when absent
bool add_authority_key_id(X509* cert, const X509* issuer);
bool add_name_constraints(X509* cert, const NameConstraints& constraints);

// The CRL distribution point and AIA extensions depend only on the CA's
// URLs: made once, copied into every certificate.
using Extensions = std::vector<pkix::X509ExtensionPtr>;
Result<Extensions> url_extensions(const Urls& urls);
bool add_all(X509* cert, const Extensions& extensions);

}  // namespace signet::ca_internal
