#include "auth/client_certs.hpp"

#include <algorithm>

#include <openssl/x509v3.h>

#include <pkix/openssl_ptr.hpp>

#include "db/certificates.hpp"
#include "db/tenants.hpp"
#include "pki/certificate_info.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

constexpr std::string_view kSpiffe = "spiffe://";

Error refused(const std::string& why) { return make_error(ErrorCode::unauthenticated, "the client certificate " + why); }

// The spiffe:// URI SANs of a certificate.
std::vector<std::string> spiffe_ids(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  pkix::OpenSslPtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  std::vector<std::string> out;
  if (!cert) return out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const auto* uri = name->d.uniformResourceIdentifier;
    std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)), static_cast<std::size_t>(ASN1_STRING_length(uri)));
    if (text.rfind(kSpiffe, 0) == 0) out.push_back(std::move(text));
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool valid_part(const std::string& part) {
  return !part.empty() && part.size() <= 200 && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

Result<Principal> ClientCertificates::authenticate(const PeerCertificate& peer) {
  if (peer.verify_result != X509_V_OK)
    return refused(std::string("is not accepted: ") + X509_verify_cert_error_string(peer.verify_result));
  const std::string fingerprint = sha256_hex(peer.der);
  const TimePoint now = Clock::now();
  if (auto known = cache_.find(fingerprint, now)) return std::move(*known);
  auto info = read_certificate_der(peer.der);
  if (!info) return refused("cannot be read");
  auto is_revoked = revoked(info->serial_hex);
  if (!is_revoked) return std::move(is_revoked).error();
  if (is_revoked.value()) return refused("is revoked");
  auto principal = identify(peer, info->common_name);
  if (!principal) return principal;
  cache_.put(fingerprint, principal.value(), info->not_after, now);
  return principal;
}

Result<Principal> ClientCertificates::identify(const PeerCertificate& peer, const std::string& common_name) {
  std::string tenant_slug, service;
  if (config_.identity == ClientAuthConfig::Identity::cn) {
    tenant_slug = config_.tenant;
    service = common_name;
    if (!valid_part(service)) return refused("has no common name usable as a service name");
  } else {
    const auto ids = spiffe_ids(peer.der);
    if (ids.size() != 1) return refused("must carry exactly one spiffe://<tenant>/<service> URI SAN");
    const std::string rest = ids[0].substr(kSpiffe.size());
    const std::size_t slash = rest.find('/');
    tenant_slug = rest.substr(0, slash);
    service = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!valid_part(tenant_slug) || !valid_part(service))
      return refused("names " + ids[0].substr(0, 100) + ", not spiffe://<tenant>/<service>");
  }
  auto tenant = find_tenant_by_slug(db_, tenant_slug);
  if (!tenant) return std::move(tenant).error();
  if (!tenant.value()) return refused("names tenant " + tenant_slug + ", which does not exist");
  return Principal{std::string(kSpiffe) + tenant_slug + "/" + service, tenant.value()->id, tenant_slug, config_.roles,
                   service, "mtls", {}, ""};
}

// Signet's own records: a certificate one of its CAs issued and revoked.
Result<bool> ClientCertificates::revoked(const std::string& serial_hex) {
  return certificate_revoked(db_, cas_, serial_hex);
}

}  // namespace signet::host
