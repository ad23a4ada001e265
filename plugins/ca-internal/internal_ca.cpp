#include "internal_ca.hpp"

#include <pkix/csr.hpp>
#include <pkix/der.hpp>
#include <pkix/pem.hpp>

#include "leaf.hpp"
#include "lint.hpp"
#include "tbs.hpp"

namespace signet::ca_internal {
namespace {

Error not_initialised(const CaConfig& c) {
  return make_error(ErrorCode::unavailable,
                    "CA " + c.instance + " has no certificate yet; run `signet ca init` or set bootstrap: true");
}

std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

InternalCa::InternalCa(CaConfig config, std::shared_ptr<KeyProvider> keys, HostServices& services)
    : config_(std::move(config)), keys_(std::move(keys)), url_extensions_(config_.urls), services_(services) {
  if (auto loaded = load_issuer(config_, *keys_)) issuer_ = std::move(loaded).value();
}

Result<IssuerPtr> InternalCa::issuer() {
  std::lock_guard lock(mutex_);
  if (!issuer_) return not_initialised(config_);
  return issuer_;
}

void InternalCa::set_issuer(IssuerPtr issuer) {
  std::lock_guard lock(mutex_);
  issuer_ = std::move(issuer);
}

Result<void> InternalCa::health() {
  auto current = issuer();
  if (!current) return std::move(current).error();
  return keys_->health();
}

Result<std::vector<std::string>> InternalCa::chain() {
  auto current = issuer();
  if (!current) return std::move(current).error();
  return current.value()->chain_pem;
}

Result<RevokeOutcome> InternalCa::revoke(const RevokeRequest& request) {
  auto current = issuer();
  if (!current) return std::move(current).error();
  auto cert = pkix::read_certificate_pem(request.certificate_pem);
  if (!cert) return make_error(ErrorCode::invalid_argument, "the certificate to revoke is not a PEM certificate");
  X509* issuing = current.value()->certificate.get();
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuing);
  const bool ours = X509_check_issued(issuing, cert.value().get()) == X509_V_OK && issuer_key &&
                    X509_verify(cert.value().get(), issuer_key) == 1;
  if (!ours) return make_error(ErrorCode::invalid_argument, "certificate " + request.serial_hex + " was not issued by this CA");
  if (pkix::serial_hex(X509_get0_serialNumber(cert.value().get())) != request.serial_hex)
    return make_error(ErrorCode::invalid_argument, "the serial does not match the certificate");
  return RevokeOutcome(Revoked{});
}

Result<std::vector<std::string>> InternalCa::initialize(const CaInit& request) {
  if (auto current = issuer()) return current.value()->chain_pem;
  if (auto loaded = load_issuer(config_, *keys_); loaded) {
    set_issuer(loaded.value());
    return loaded.value()->chain_pem;
  } else if (loaded.error().code != ErrorCode::not_found) {
    return std::move(loaded).error();
  }
  if (request.on_start && !config_.bootstrap) return not_initialised(config_);
  auto created = create_hierarchy(config_, *keys_, services_.random(), services_.clock());
  if (!created) return std::move(created).error();
  services_.logger().info("created a root and an issuing CA", {{"ca", config_.instance}, {"dir", config_.dir}});
  set_issuer(created.value());
  return created.value()->chain_pem;
}

Result<std::vector<std::string>> InternalCa::import_ca(const CaImport& request) {
  if (issuer() || load_issuer(config_, *keys_))
    return make_error(ErrorCode::conflict, "CA " + config_.instance + " already has a CA certificate");
  auto imported = import_hierarchy(config_, *keys_, request, services_.random());
  if (!imported) return std::move(imported).error();
  set_issuer(imported.value());
  return imported.value()->chain_pem;
}

Result<std::string> InternalCa::lint_record_sign(X509* tbs, const Issuer& issuer, const LeafPlan& plan,
                                                 const std::string& request_id, const std::string& tenant) {
  if (auto problems = lint_leaf(tbs, issuer.certificate.get(), plan); !problems.empty()) {
    services_.logger().error("refused a certificate that fails lint", {{"request_id", request_id}, {"problems", problems}});
    return make_error(ErrorCode::rejected, "the certificate would be malformed: " + joined(problems));
  }
  auto der = tbs_der(tbs);
  if (!der) return std::move(der).error();
  const PrecertificateRecord record{config_.instance, pkix::serial_hex(X509_get0_serialNumber(tbs)), request_id, tenant,
                                    der.value()};
  if (auto recorded = services_.ledger().record(record); !recorded) return std::move(recorded).error();
  auto signed_der = sign_tbs(*keys_, issuer.key_id, issuer.algorithm, der.value());
  if (!signed_der) return std::move(signed_der).error();
  return pkix::certificate_pem_from_der(signed_der.value());
}

Result<SignOutcome> InternalCa::sign(const SignRequest& request) {
  if (auto earlier = recent_.find(request.request_id)) return SignOutcome(*earlier);
  auto current = issuer();
  if (!current) return std::move(current).error();
  const Issuer& is = *current.value();
  const bool checked = request.extensions.value(kSignExtensionCsrVerified, false);
  auto csr = pkix::parse_csr(request.csr_pem, checked ? pkix::CsrSignature::already_checked : pkix::CsrSignature::check);
  if (const auto* bad = std::get_if<pkix::Rejection>(&csr)) return make_error(ErrorCode::invalid_argument, bad->message);
  auto plan = plan_leaf(config_, is, request, std::get<pkix::CsrInfo>(csr), services_.clock().now());
  if (!plan) return std::move(plan).error();
  auto urls = url_extensions_.get(request.status_urls);
  if (!urls) return make_error(ErrorCode::invalid_argument, "the status URLs are not usable: " + urls.error().message);
  for (int attempt = 1;; ++attempt) {
    plan.value().basics.serial = random_serial(services_.random());
    auto tbs = build_leaf(plan.value(), is, *urls.value());
    if (!tbs) return std::move(tbs).error();
    auto pem = lint_record_sign(tbs.value().get(), is, plan.value(), request.request_id, request.tenant);
    if (pem) {
      IssuedCertificate issued{pem.value(), {is.chain_pem.begin(), is.chain_pem.end() - 1}};
      recent_.remember(request.request_id, issued);
      return SignOutcome(std::move(issued));
    }
    if (pem.error().code != ErrorCode::conflict || attempt == kSerialAttempts) return std::move(pem).error();
    services_.logger().warn("serial collision; drawing another", {{"ca", config_.instance}, {"serial", pkix::to_hex(plan.value().basics.serial)}});
  }
}

}  // namespace signet::ca_internal
