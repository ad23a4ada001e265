// What ca-internal signs for the host's revocation service: CRLs with the
// issuing CA's key, and the certificate of the delegated OCSP responder.
#include <pkix/crl.hpp>
#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

#include "internal_ca.hpp"

namespace signet::ca_internal {
namespace {

std::string key_identifier(const X509* cert) {
  auto ski = subject_key_id_of(cert);
  if (!ski) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ski.get())),
                     static_cast<std::size_t>(ASN1_STRING_length(ski.get())));
}

// "rsa", "ecdsa" or "ed25519" for an SPKI; empty when it is none of them.
std::string key_type_of(const std::string& spki) {
  auto key = pkix::public_key_from_der(spki);
  return key ? pkix::key_type_name(key.value().get()) : "";
}

}  // namespace

Result<std::string> InternalCa::sign_crl(const CrlRequest& request) {
  auto current = issuer();
  if (!current) return std::move(current).error();
  const Issuer& is = *current.value();
  auto algorithm = pkix::algorithm_identifier_der(is.algorithm);
  if (!algorithm) return std::move(algorithm).error();
  const pkix::CrlSigner signer{pkix::name_der(X509_get_subject_name(is.certificate.get())),
                               key_identifier(is.certificate.get()), algorithm.value()};
  const std::string tbs = pkix::tbs_cert_list_der(request, signer);
  auto signature = keys_->sign(is.key_id, is.algorithm, tbs);
  if (!signature) return std::move(signature).error();
  return pkix::signed_der(tbs, algorithm.value(), signature.value());
}

Result<std::string> InternalCa::certify_ocsp_signer(const OcspSignerRequest& request) {
  auto current = issuer();
  if (!current) return std::move(current).error();
  const Issuer& is = *current.value();
  LeafPlan plan;
  plan.key_type = key_type_of(request.public_key_der);
  if (plan.key_type.empty()) return make_error(ErrorCode::invalid_argument, "the responder key is not an RSA, EC or Ed25519 key");
  const TimePoint now = services_.clock().now();
  plan.basics.common_name = request.common_name;
  plan.basics.not_before = std::max(now - config_.backdate, pkix::time_point_of(X509_get0_notBefore(is.certificate.get())));
  plan.basics.not_after = std::min(request.not_after, pkix::time_point_of(X509_get0_notAfter(is.certificate.get())));
  plan.basics.public_key_der = request.public_key_der;
  plan.basics.algorithm = is.algorithm;
  plan.key_usage = {"digital_signature"};
  plan.extended_key_usage = {"ocsp_signing"};
  if (plan.basics.not_after <= now) return make_error(ErrorCode::rejected, "the issuing CA expires before the responder could start");
  for (int attempt = 1;; ++attempt) {
    plan.basics.serial = random_serial(services_.random());
    auto tbs = build_leaf(plan, is, Extensions{});
    if (!tbs) return std::move(tbs).error();
    if (!add_ocsp_no_check(tbs.value().get()))
      return make_error(ErrorCode::internal, "cannot add ocsp-nocheck: " + pkix::openssl_error());
    auto pem = lint_record_sign(tbs.value().get(), is, plan, "ocsp-signer", "");
    if (pem || pem.error().code != ErrorCode::conflict || attempt == kSerialAttempts) return pem;
  }
}

}  // namespace signet::ca_internal
