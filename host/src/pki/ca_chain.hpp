// The whole chain a client needs to verify a certificate, as the bundle
// download and delivering stores (store-vault) give it.
#pragma once

#include <string>
#include <vector>

#include <signet/ca.hpp>

namespace signet::host {

// `chain` as the certificate was issued with it (the issuing CA first),
// then the CA's root if that root issued the chain's top. Without the CA,
// or when it cannot tell its chain, `chain` as it is.
std::vector<std::string> chain_with_root(std::vector<std::string> chain, const std::string& certificate_pem,
                                         CertificateAuthority* ca);

}  // namespace signet::host
