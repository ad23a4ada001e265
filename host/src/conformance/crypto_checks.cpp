#include "conformance/crypto_checks.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <signet/x509.hpp>

#include <pkix/der.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

namespace signet::host::conformance {
namespace {

using pkix::X509Ptr;

std::vector<X509Ptr> read_all(const std::vector<std::string>& pems, std::string& error) {
  std::vector<X509Ptr> out;
  for (std::size_t i = 0; i < pems.size(); ++i) {
    auto cert = pkix::read_certificate_pem(pems[i]);
    if (!cert) {
      error = "element " + std::to_string(i) + " is not a PEM certificate";
      return {};
    }
    out.push_back(std::move(cert).value());
  }
  return out;
}

bool signed_by(X509* subject, X509* issuer) {
  const bool ok = X509_check_issued(issuer, subject) == X509_V_OK && X509_verify(subject, X509_get0_pubkey(issuer)) == 1;
  ERR_clear_error();
  return ok;
}

std::string verify_error(X509_STORE_CTX* context) {
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(context));
}

}  // namespace

TestRequest make_request(const pkix::CsrNames& names) {
  TestRequest request;
  auto key = pkix::generate_key({"ecdsa", 0, "P-256"});
  if (!key) return request;
  request.key = std::move(key).value();
  request.csr_pem = pkix::make_csr_pem(request.key.get(), names);
  request.public_key_der = pkix::public_key_der(request.key.get());
  return request;
}

std::string check_ca_chain(const std::vector<std::string>& chain) {
  if (chain.empty()) return "chain() returned no certificate";
  std::string error;
  const auto certs = read_all(chain, error);
  if (!error.empty()) return "chain(): " + error;
  for (std::size_t i = 0; i < certs.size(); ++i) {
    if (X509_check_ca(certs[i].get()) <= 0) return "chain() element " + std::to_string(i) + " is not a CA certificate";
    if (i + 1 < certs.size() && !signed_by(certs[i].get(), certs[i + 1].get()))
      return "chain() element " + std::to_string(i) + " is not issued by element " + std::to_string(i + 1) +
             " (the order must be issuing CA first, root last)";
  }
  if (!signed_by(certs.back().get(), certs.back().get()))
    return "chain() does not end in a self-signed root (" + std::to_string(certs.size()) + " certificates)";
  return {};
}

std::string check_issued(const std::string& certificate_pem, const std::vector<std::string>& chain_pem,
                         const std::vector<std::string>& ca_chain, const TestRequest& request) {
  auto facts = x509::certificate_facts(certificate_pem);
  if (!facts) return "the certificate is not a PEM certificate";
  if (facts->public_key_der != request.public_key_der) return "the certificate's public key is not the CSR's";
  if (facts->is_ca) return "the certificate is a CA certificate";
  std::string error;
  auto leaf = pkix::read_certificate_pem(certificate_pem);
  const auto chain = read_all(chain_pem, error);
  if (!error.empty()) return "chain_pem: " + error;
  const auto anchors = read_all(ca_chain, error);
  if (!error.empty() || anchors.empty()) return "chain() is unusable: " + error;
  for (const auto& c : chain)
    if (signed_by(c.get(), c.get())) return "chain_pem holds the root; it must leave it out";
  // Empty only when a root issues directly: the issuer is then all of chain().
  X509* issuer = chain.empty() ? anchors.front().get() : chain.front().get();
  if (!signed_by(leaf.value().get(), issuer))
    return chain.empty() ? "chain_pem is empty, but chain()[0] did not issue the certificate"
                         : "chain_pem[0] is not the certificate's issuer";

  pkix::OpenSslPtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), anchors.back().get());
  struct StackFree {
    void operator()(STACK_OF(X509)* stack) const noexcept { sk_X509_free(stack); }  // the certificates stay owned by `chain`
  };
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (const auto& c : chain) sk_X509_push(untrusted.get(), c.get());
  pkix::OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free> context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), leaf.value().get(), untrusted.get());
  const bool verified = X509_verify_cert(context.get()) == 1;
  const std::string why = verified ? "" : verify_error(context.get());
  ERR_clear_error();
  if (!verified) return "OpenSSL does not verify the certificate up to the root of chain(): " + why;
  return {};
}

std::string check_crl(const std::string& crl_der, const std::vector<std::string>& ca_chain,
                      const std::string& serial_hex, std::uint64_t number) {
  const auto* p = reinterpret_cast<const unsigned char*>(crl_der.data());
  pkix::OpenSslPtr<X509_CRL, X509_CRL_free> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl_der.size())));
  if (!crl) return "sign_crl() returned no DER CRL";
  std::string error;
  const auto issuers = read_all(ca_chain, error);
  if (!error.empty() || issuers.empty()) return "chain() is unusable";
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(issuers.front().get())) != 1) {
    ERR_clear_error();
    return "the CRL's signature does not verify with the issuing CA's key";
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(issuers.front().get())) != 0)
    return "the CRL's issuer is not the issuing CA";
  pkix::Asn1IntegerPtr crl_number(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  if (!crl_number || ASN1_INTEGER_get(crl_number.get()) != static_cast<long>(number))
    return "the CRL's cRLNumber is not " + std::to_string(number);
  if (serial_hex.empty()) return {};
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const std::string hex = pkix::serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)));
    if (hex == serial_hex) return {};
  }
  return "the CRL does not list serial " + serial_hex;
}

std::string check_ocsp_signer(const std::string& certificate_pem, const std::vector<std::string>& ca_chain,
                              const std::string& public_key_der) {
  auto cert = pkix::read_certificate_pem(certificate_pem);
  if (!cert) return "certify_ocsp_signer() returned no PEM certificate";
  auto facts = x509::certificate_facts(certificate_pem);
  if (!facts || facts->public_key_der != public_key_der) return "the responder certificate is not for the given key";
  std::string error;
  const auto issuers = read_all(ca_chain, error);
  if (!error.empty() || issuers.empty()) return "chain() is unusable";
  if (!signed_by(cert.value().get(), issuers.front().get())) return "the responder certificate is not issued by the issuing CA";
  if ((X509_get_extended_key_usage(cert.value().get()) & XKU_OCSP_SIGN) == 0)
    return "the responder certificate lacks extended key usage id-kp-OCSPSigning";
  if (X509_get_ext_by_NID(cert.value().get(), NID_id_pkix_OCSP_noCheck, -1) < 0)
    return "the responder certificate lacks id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)";
  return {};
}

std::string check_signature(const std::string& public_key_der, SignatureAlgorithm algorithm,
                            const std::string& message, const std::string& signature) {
  auto key = pkix::public_key_from_der(public_key_der);
  if (!key) return "the public key is not a DER SubjectPublicKeyInfo";
  const EVP_MD* md = nullptr;
  switch (algorithm) {
    case SignatureAlgorithm::rsa_pkcs1_sha256: case SignatureAlgorithm::rsa_pss_sha256:
    case SignatureAlgorithm::ecdsa_sha256: md = EVP_sha256(); break;
    case SignatureAlgorithm::rsa_pkcs1_sha384: case SignatureAlgorithm::ecdsa_sha384: md = EVP_sha384(); break;
    case SignatureAlgorithm::ed25519: md = nullptr; break;
  }
  pkix::EvpMdCtxPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  if (EVP_DigestVerifyInit(context.get(), &key_context, md, nullptr, key.value().get()) != 1) {
    ERR_clear_error();
    return "OpenSSL cannot verify this algorithm with this key";
  }
  if (algorithm == SignatureAlgorithm::rsa_pss_sha256) {
    EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_AUTO);
  }
  const int ok = EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return ok == 1 ? "" : "the signature does not verify";
}

bool holds_private_key(const std::string& bytes) {
  if (bytes.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  pkix::EvpPkeyPtr der(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(bytes.size())));
  pkix::BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  pkix::EvpPkeyPtr pem(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  ERR_clear_error();
  return der || pem || bytes.find("PRIVATE KEY") != std::string::npos;
}

}  // namespace signet::host::conformance
