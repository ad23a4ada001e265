// CRLs (RFC 5280 §5) encoded straight into DER: OpenSSL's X509_CRL keeps
// several objects per entry, about ten times the memory of the encoding
// for a list of a million certificates.
#pragma once

#include <string>

#include <signet/ca.hpp>

namespace signet::pkix {

// Who signs the CRL, as it appears in it.
struct CrlSigner {
  std::string issuer_name_der;   // the issuing certificate's subject Name
  std::string key_identifier;    // its subjectKeyIdentifier (the CRL's authorityKeyIdentifier)
  std::string algorithm_der;     // AlgorithmIdentifier of the signature to come
};

// TBSCertList (§5.1.2): version 2, the signer's algorithm and name, this and
// next update, the entries (absent when there are none) with reason codes
// and invalidity dates (§5.3.1, §5.3.2; "unspecified" is left out), and the
// extensions authorityKeyIdentifier, cRLNumber, and as the request says
// deltaCRLIndicator, issuingDistributionPoint and freshestCRL.
std::string tbs_cert_list_der(const CrlRequest& request, const CrlSigner& signer);

}  // namespace signet::pkix
