#include "tls/ca_issued.hpp"

#include <filesystem>

#include <fsutil/files.hpp>
#include <pkix/csr.hpp>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

#include "util/ids.hpp"

namespace signet::host {
namespace {

constexpr auto kLifetime = std::chrono::hours(24 * 90);

std::string cert_path(const HostCertificateRequest& r) { return r.data_dir + "/tls/server.crt"; }
std::string key_path(const HostCertificateRequest& r) { return r.data_dir + "/tls/server.key"; }

// Issued by the current issuing CA, and not in the last third of its life.
bool still_good(const HostCertificateRequest& r, const std::string& issuing_pem, TimePoint now) {
  auto text = fsutil::read_file(cert_path(r));
  if (!text || !std::filesystem::exists(key_path(r))) return false;
  auto leaf = pkix::read_certificate_pem(text.value());
  auto issuing = pkix::read_certificate_pem(issuing_pem);
  if (!leaf || !issuing || X509_verify(leaf.value().get(), X509_get0_pubkey(issuing.value().get())) != 1) {
    ERR_clear_error();
    return false;
  }
  const TimePoint from = pkix::time_point_of(X509_get0_notBefore(leaf.value().get()));
  const TimePoint until = pkix::time_point_of(X509_get0_notAfter(leaf.value().get()));
  return now < until - (until - from) / 3;
}

SignRequest host_sign_request(const HostCertificateRequest& r, const std::string& csr) {
  SignRequest s;
  s.request_id = new_id("req");
  s.tenant = r.tenant_id;
  s.csr_pem = csr;
  s.common_name = r.dns.empty() ? (r.ip.empty() ? "Signet host" : r.ip.front()) : r.dns.front();
  s.sans = {r.dns, r.ip, {}, {}};
  s.ttl = std::chrono::duration_cast<std::chrono::seconds>(kLifetime);
  s.policy = {"(host tls)", {"digital_signature", "key_encipherment"}, {"server_auth"}, s.ttl};
  s.metadata = {{"purpose", "host-tls"}};
  return s;
}

Result<void> issue(CertificateAuthority& ca, const HostCertificateRequest& r) {
  auto key = pkix::generate_key({"ecdsa", 0, "P-256"});
  if (!key) return std::move(key).error();
  const std::string csr = pkix::make_csr_pem(key.value().get(), {"", r.dns, r.ip, {}, {}});
  auto outcome = ca.sign(host_sign_request(r, csr));
  if (!outcome) return make_error(outcome.error().code, "cannot issue the host's TLS certificate: " + outcome.error().message);
  const auto* issued = std::get_if<IssuedCertificate>(&outcome.value());
  if (issued == nullptr) return make_error(ErrorCode::unsupported, "the CA answered the host's TLS certificate with a ticket");
  std::string chain = issued->certificate_pem;
  for (const auto& pem : issued->chain_pem) chain += pem;
  if (auto dir = fsutil::make_private_directory(r.data_dir + "/tls"); !dir) return dir;
  if (auto written = fsutil::write_file_atomically(key_path(r), pkix::private_key_pem(key.value().get()), 0600); !written)
    return written;
  return fsutil::write_file_atomically(cert_path(r), chain, 0644);
}

}  // namespace

Result<void> ensure_ca_issued_certificate(CertificateAuthority& ca, const HostCertificateRequest& r, TimePoint now) {
  auto chain = ca.chain();
  if (!chain) return std::move(chain).error();
  if (chain.value().empty()) return make_error(ErrorCode::internal, "CA " + r.ca_name + " has an empty chain");
  if (!still_good(r, chain.value().front(), now))
    if (auto issued = issue(ca, r); !issued) return issued;
  return fsutil::write_file_atomically(r.data_dir + "/ca.pem", chain.value().back(), 0644);
}

}  // namespace signet::host
