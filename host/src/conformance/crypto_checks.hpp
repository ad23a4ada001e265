// OpenSSL as the independent judge of what a plugin returned: requests made
// for a fresh key, chains verified, CRLs and signatures checked. Every check
// returns "" when it holds and otherwise says what is wrong.
#pragma once

#include <string>
#include <vector>

#include <signet/keys.hpp>

#include <pkix/csr.hpp>
#include <pkix/openssl_ptr.hpp>

namespace signet::host::conformance {

struct TestRequest {
  pkix::EvpPkeyPtr key;
  std::string csr_pem;
  std::string public_key_der;  // SubjectPublicKeyInfo of `key`
};

// A P-256 key and a CSR for it with these names.
TestRequest make_request(const pkix::CsrNames& names);

// The CA's own chain as chain() returned it: issuing first, each one
// issued and signed by the next, CA certificates all, a root last.
std::string check_ca_chain(const std::vector<std::string>& chain);

// A certificate sign() returned for `request`: its key is the request's,
// it is no CA, chain_pem starts with its issuer and leaves out the root
// (empty when the root issued it), and X509_verify_cert
// accepts it with the last of `ca_chain` as the trust anchor.
std::string check_issued(const std::string& certificate_pem, const std::vector<std::string>& chain_pem,
                         const std::vector<std::string>& ca_chain, const TestRequest& request);

// A DER CRL signed by the issuing CA (ca_chain[0]) listing `serial_hex`
// (empty: any), with cRLNumber `number`.
std::string check_crl(const std::string& crl_der, const std::vector<std::string>& ca_chain,
                      const std::string& serial_hex, std::uint64_t number);

// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2) for the key
// `public_key_der`, issued by ca_chain[0].
std::string check_ocsp_signer(const std::string& certificate_pem, const std::vector<std::string>& ca_chain,
                              const std::string& public_key_der);

// `signature` over `message` by the key `public_key_der`, as the SDK
// defines the algorithm (DER ECDSA, raw RSA and Ed25519).
std::string check_signature(const std::string& public_key_der, SignatureAlgorithm algorithm,
                            const std::string& message, const std::string& signature);

// Whether `bytes` hold a private key OpenSSL can read in any encoding (DER
// or PEM, PKCS#8 or traditional): for the "no export path" checks.
bool holds_private_key(const std::string& bytes);

}  // namespace signet::host::conformance
