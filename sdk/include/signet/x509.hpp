// Optional helpers for plugin authors, on OpenSSL 3: PEM blocks, the facts
// of a certificate or a CSR, and chain ordering. Not included by sdk.hpp;
// a plugin that includes it links OpenSSL::Crypto (CMake: SignetSDK::x509).
// Header-only on purpose: it compiles into the plugin, so it adds nothing to
// the plugin's ABI with the host (docs/plugin-authoring.md, "Helpers").
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <signet/result.hpp>

namespace signet::x509 {

// The PEM blocks labelled `label` in `text`, in order, each ending in a
// newline (RFC 7468 §2). Text between blocks is skipped; nothing is decoded.
inline std::vector<std::string> pem_blocks(std::string_view text, std::string_view label = "CERTIFICATE") {
  const std::string begin_line = "-----BEGIN " + std::string(label) + "-----";
  const std::string end_line = "-----END " + std::string(label) + "-----";
  std::vector<std::string> out;
  for (std::size_t begin = text.find(begin_line); begin != std::string_view::npos; begin = text.find(begin_line, begin)) {
    const std::size_t end = text.find(end_line, begin);
    if (end == std::string_view::npos) break;
    out.push_back(std::string(text.substr(begin, end + end_line.size() - begin)) + "\n");
    begin = end + end_line.size();
  }
  return out;
}

struct CertificateFacts {
  std::string serial_hex;  // lower case, whole octets, no separators (as the host records it)
  std::string subject;     // RFC 4514 text, "CN=app.example.com,O=Example"
  std::string issuer;
  std::string common_name;
  std::vector<std::string> dns, ip, email, uri;  // subjectAltName
  std::string public_key_der;                    // SubjectPublicKeyInfo
  std::chrono::system_clock::time_point not_before, not_after;
  bool is_ca = false;        // basicConstraints cA
  bool self_issued = false;  // subject == issuer (a root, usually)
};

struct CsrFacts {
  std::string common_name;
  std::vector<std::string> dns, ip, email, uri;  // from the extensionRequest
  std::string public_key_der;
};

namespace detail {

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const noexcept { F(p); }
};
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Req = std::unique_ptr<X509_REQ, Free<X509_REQ, X509_REQ_free>>;
using Names = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES, GENERAL_NAMES_free>>;

inline Bio memory(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

inline std::string name_text(const X509_NAME* name) {
  Bio out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bio_text(out.get());
}

inline std::string common_name(const X509_NAME* name) {
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// An iPAddress entry (RFC 5280 §4.2.1.6: 4 or 16 octets) as text.
inline std::string ip_text(const ASN1_OCTET_STRING* ip) {
  char text[INET6_ADDRSTRLEN] = {};
  const int length = ASN1_STRING_length(ip);
  const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : -1;
  if (family < 0 || !inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text)) return {};
  return text;
}

// subjectAltName entries by type; other GeneralName types are skipped.
inline void read_names(const GENERAL_NAMES* names, std::vector<std::string>& dns, std::vector<std::string>& ip,
                       std::vector<std::string>& email, std::vector<std::string>& uri) {
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    auto text = [](const ASN1_IA5STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
    };
    if (name->type == GEN_DNS) dns.push_back(text(name->d.dNSName));
    else if (name->type == GEN_EMAIL) email.push_back(text(name->d.rfc822Name));
    else if (name->type == GEN_URI) uri.push_back(text(name->d.uniformResourceIdentifier));
    else if (name->type == GEN_IPADD) ip.push_back(ip_text(name->d.iPAddress));
  }
}

inline std::string public_key_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = key ? i2d_PUBKEY(key, &der) : -1;
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

inline std::chrono::system_clock::time_point time_of(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

inline Error invalid(std::string what) {
  ERR_clear_error();
  return make_error(ErrorCode::invalid_argument, std::move(what));
}

inline Result<Cert> read_certificate(std::string_view pem) {
  Bio bio = memory(pem);
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return invalid("not a PEM certificate");
  return cert;
}

}  // namespace detail

// One certificate, read from the first CERTIFICATE block of `pem`.
inline Result<CertificateFacts> certificate_facts(std::string_view pem) {
  auto cert = detail::read_certificate(pem);
  if (!cert) return std::move(cert).error();
  X509* x = cert.value().get();
  CertificateFacts facts;
  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  for (int i = 0; i < serial->length; ++i) {
    static const char* digits = "0123456789abcdef";
    facts.serial_hex += digits[serial->data[i] >> 4];
    facts.serial_hex += digits[serial->data[i] & 0xf];
  }
  facts.subject = detail::name_text(X509_get_subject_name(x));
  facts.issuer = detail::name_text(X509_get_issuer_name(x));
  facts.common_name = detail::common_name(X509_get_subject_name(x));
  detail::Names names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
  detail::read_names(names.get(), facts.dns, facts.ip, facts.email, facts.uri);
  facts.public_key_der = detail::public_key_der(X509_get0_pubkey(x));
  facts.not_before = detail::time_of(X509_get0_notBefore(x));
  facts.not_after = detail::time_of(X509_get0_notAfter(x));
  facts.is_ca = X509_check_ca(x) > 0;
  facts.self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
  ERR_clear_error();
  return facts;
}

// A PKCS#10 request (RFC 2986), its self-signature checked (proof of
// possession, §3): Error{invalid_argument} when it is missing or wrong.
inline Result<CsrFacts> csr_facts(std::string_view pem) {
  detail::Bio bio = detail::memory(pem);
  detail::Req req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return detail::invalid("not a PEM certificate request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (!key || X509_REQ_verify(req.get(), key) != 1) return detail::invalid("the request's self-signature does not verify");
  CsrFacts facts;
  facts.common_name = detail::common_name(X509_REQ_get_subject_name(req.get()));
  facts.public_key_der = detail::public_key_der(key);
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(req.get());
  detail::Names names(static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions, NID_subject_alt_name, nullptr, nullptr)));
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  detail::read_names(names.get(), facts.dns, facts.ip, facts.email, facts.uri);
  ERR_clear_error();
  return facts;
}

// The chain of `leaf` out of `pool` (certificates in any order, duplicates
// and strangers allowed): its issuer first, each next one the issuer of the
// one before (name and signature checked), up to a self-issued root or as
// far as the pool goes; empty for a self-issued `leaf`. The root is left out unless `include_root`, as
// signet::IssuedCertificate::chain_pem wants. Error{invalid_argument} when
// the pool does not hold the leaf's issuer.
inline Result<std::vector<std::string>> order_chain(std::string_view leaf_pem, const std::vector<std::string>& pool,
                                                    bool include_root = false) {
  auto leaf = detail::read_certificate(leaf_pem);
  if (!leaf) return std::move(leaf).error();
  std::vector<std::pair<detail::Cert, std::string>> candidates;
  for (const auto& pem : pool) {
    auto cert = detail::read_certificate(pem);
    if (!cert) return std::move(cert).error();
    candidates.emplace_back(std::move(cert).value(), pem);
  }
  std::vector<std::string> chain;
  X509* current = leaf.value().get();
  if (X509_check_issued(current, current) == X509_V_OK) return chain;  // a root: nothing above it
  for (std::size_t depth = 0; depth <= candidates.size(); ++depth) {
    if (depth > 0 && X509_check_issued(current, current) == X509_V_OK) break;  // reached a root
    X509* issuer = nullptr;
    for (auto& [cert, pem] : candidates) {
      if (X509_check_issued(cert.get(), current) != X509_V_OK) continue;
      if (X509_verify(current, X509_get0_pubkey(cert.get())) != 1) continue;
      issuer = cert.get();
      const bool root = X509_check_issued(issuer, issuer) == X509_V_OK;
      if (!root || include_root) chain.push_back(pem);
      break;
    }
    ERR_clear_error();
    if (!issuer) {
      if (depth == 0) return detail::invalid("the chain does not hold the certificate's issuer");
      break;
    }
    current = issuer;
  }
  return chain;
}

}  // namespace signet::x509
