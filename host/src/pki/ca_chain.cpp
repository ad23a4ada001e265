#include "pki/ca_chain.hpp"

#include <pkix/pem.hpp>

namespace signet::host {

std::vector<std::string> chain_with_root(std::vector<std::string> chain, const std::string& certificate_pem,
                                         CertificateAuthority* ca) {
  if (!ca) return chain;
  auto current = ca->chain();
  if (!current || current.value().empty()) return chain;
  const std::string& root_pem = current.value().back();
  auto root = pkix::read_certificate_pem(root_pem);
  auto top = pkix::read_certificate_pem(chain.empty() ? certificate_pem : chain.back());
  if (!root || !top || X509_cmp(root.value().get(), top.value().get()) == 0) return chain;
  if (X509_check_issued(root.value().get(), top.value().get()) == X509_V_OK) chain.push_back(root_pem);
  return chain;
}

}  // namespace signet::host
