// X.509 v3 extensions (RFC 5280 §4.2), added to a certificate under
// construction. Each returns false with the OpenSSL error queue set.
#pragma once

#include <map>
#include <memory>
#include <mutex>
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

// The CRL distribution point and AIA extensions depend only on the URLs:
// made once per set of URLs, copied into every certificate.
using Extensions = std::vector<pkix::X509ExtensionPtr>;
Result<Extensions> url_extensions(const Urls& urls);
bool add_all(X509* cert, const Extensions& extensions);

// The URL extensions of each set of URLs seen (the host's, per CRL shard),
// made on first use. The configured URLs win over the host's, field by field.
class UrlExtensionCache {
 public:
  explicit UrlExtensionCache(Urls configured) : configured_(std::move(configured)) {}
  Result<std::shared_ptr<const Extensions>> get(const StatusUrls& host_urls);

 private:
  static constexpr std::size_t kMaxEntries = 256;  // shards x URL sets; beyond it, start over
  Urls configured_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Extensions>> made_;
};

// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): a responder certificate is
// not checked for revocation.
bool add_ocsp_no_check(X509* cert);

}  // namespace signet::ca_internal
