// ca-internal: Signet's own certificate authority. Its keys live in a `keys`
// instance; every certificate is linted and recorded in the host's ledger
// before it is signed.
#pragma once

#include <memory>
#include <mutex>

#include <signet/sdk.hpp>

#include "config.hpp"
#include "extensions.hpp"
#include "hierarchy.hpp"
#include "leaf.hpp"
#include "recent_issuance.hpp"

namespace signet::ca_internal {

class InternalCa final : public CertificateAuthority {
 public:
  InternalCa(CaConfig config, std::shared_ptr<KeyProvider> keys, HostServices& services);

  Result<void> health() override;
  Result<SignOutcome> sign(const SignRequest& request) override;
  Result<std::vector<std::string>> chain() override;
  // Confirms the certificate is this CA's; the host records the revocation,
  // from which the CRL and OCSP answers are made.
  Result<RevokeOutcome> revoke(const RevokeRequest& request) override;
  Result<std::vector<std::string>> initialize(const CaInit& request) override;
  Result<std::vector<std::string>> import_ca(const CaImport& request) override;
  // The host's CRLs and OCSP responder certificates (revocation.cpp).
  Result<std::string> sign_crl(const CrlRequest& request) override;
  Result<std::string> certify_ocsp_signer(const OcspSignerRequest& request) override;

 private:
  Result<IssuerPtr> issuer();
  // Lints against the plan, records in the ledger, then signs.
  Result<std::string> lint_record_sign(X509* tbs, const Issuer& issuer, const LeafPlan& plan,
                                       const std::string& request_id, const std::string& tenant);
  void set_issuer(IssuerPtr issuer);

  CaConfig config_;
  std::shared_ptr<KeyProvider> keys_;
  UrlExtensionCache url_extensions_;
  HostServices& services_;
  std::mutex mutex_;
  IssuerPtr issuer_;  // guarded by mutex_; null until the CA exists
  RecentIssuance recent_{4096};
};

}  // namespace signet::ca_internal
