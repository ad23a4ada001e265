#include <pkix/csr.hpp>
#include <pkix/der.hpp>

#include "csr_parts.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <optional>

#include <openssl/objects.h>
#include <openssl/pem.h>

#include <pkix/keys.hpp>
#include <pkix/openssl_ptr.hpp>

namespace signet::pkix {
namespace {

// Far above any real CSR (an RSA-4096 request with a hundred SANs is ~20 KiB),
// low enough that parsing cannot be used to burn memory.
constexpr std::size_t kMaxCsrBytes = 64 * 1024;

Rejection invalid(std::string message) {
  ERR_clear_error();  // the reason is in the message; leave no stale queue behind
  return Rejection{"invalid_csr", std::move(message)};
}

// The DER of the first request block in `pem`. Text before the block is
// skipped; both the "CERTIFICATE REQUEST" and the legacy "NEW CERTIFICATE
// REQUEST" labels are read.
std::optional<Rejection> read_request_der(const std::string& pem, std::string& der) {
  if (pem.size() > kMaxCsrBytes) return invalid("CSR is larger than 64 KiB");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return invalid("cannot read the CSR: " + openssl_error());
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) return invalid("not a PEM certificate request");
    const std::string label = name;
    if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST")
      der.assign(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!der.empty()) return std::nullopt;
  }
}

// The NIST name (FIPS 186-4, RFC 5480 §2.1.1.1) of a named curve, or its
// OpenSSL name when it has none.
std::string curve_name(const EVP_PKEY* key) {
  char group[80] = "";
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) return "unknown";
  const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
  return nist != nullptr ? nist : group;
}

std::optional<Rejection> read_key(const EVP_PKEY* key, CsrInfo& info) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      info.key_type = "rsa";
      info.bits = EVP_PKEY_get_bits(key);
      return std::nullopt;
    case EVP_PKEY_EC:
      info.key_type = "ecdsa";
      info.bits = EVP_PKEY_get_bits(key);
      info.curve = curve_name(key);
      if (info.curve.rfind("P-", 0) != 0) return invalid("unsupported key type ecdsa with curve " + info.curve);
      return std::nullopt;
    case EVP_PKEY_ED25519:
      info.key_type = "ed25519";
      info.bits = 256;  // EVP_PKEY_get_bits says 253 (the group order); the key is 32 bytes
      return std::nullopt;
    default: {
      const char* name = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
      return invalid(std::string("unsupported key type ") + (name != nullptr ? name : "unknown"));
    }
  }
}

// IA5String (dNSName, rfc822Name, URI) as text. IA5 is 7-bit ASCII; a NUL
// inside would let "good.com\0.evil.org" pass as one name and print as another.
std::optional<std::string> ia5_text(const ASN1_IA5STRING* value) {
  const unsigned char* data = ASN1_STRING_get0_data(value);
  const int length = ASN1_STRING_length(value);
  std::string text;
  for (int i = 0; i < length; ++i) {
    if (data[i] == 0 || data[i] > 0x7f) return std::nullopt;
    text.push_back(static_cast<char>(data[i]));
  }
  return text;
}

// iPAddress holds 4 (IPv4) or 16 (IPv6) octets in network order (RFC 5280
// §4.2.1.6); inet_ntop gives dotted quads and RFC 5952 compressed IPv6.
std::optional<std::string> ip_text(const ASN1_OCTET_STRING* value) {
  const int length = ASN1_STRING_length(value);
  const int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
  if (family == AF_UNSPEC) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(family, ASN1_STRING_get0_data(value), text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

const char* general_name_kind(int type) {
  switch (type) {
    case GEN_OTHERNAME: return "otherName";
    case GEN_X400: return "x400Address";
    case GEN_DIRNAME: return "directoryName";
    case GEN_EDIPARTY: return "ediPartyName";
    case GEN_RID: return "registeredID";
    default: return "unknown";
  }
}

// The list a name goes to, and its text; nullopt text when it is malformed.
struct SanEntry {
  std::vector<std::string>* list = nullptr;
  std::optional<std::string> text;
};

SanEntry san_entry(const GENERAL_NAME* name, CsrInfo& info) {
  switch (name->type) {
    case GEN_DNS: return {&info.dns, ia5_text(name->d.dNSName)};
    case GEN_EMAIL: return {&info.email, ia5_text(name->d.rfc822Name)};
    case GEN_URI: return {&info.uri, ia5_text(name->d.uniformResourceIdentifier)};
    case GEN_IPADD: return {&info.ip, ip_text(name->d.iPAddress)};
    default: return {};
  }
}

// Names of kinds we cannot check against a profile are refused rather than
// dropped, so the certificate never silently differs from the request.
std::optional<Rejection> add_general_name(const GENERAL_NAME* name, CsrInfo& info) {
  SanEntry entry = san_entry(name, info);
  if (entry.list == nullptr)
    return invalid(std::string("unsupported subjectAltName type ") + general_name_kind(name->type));
  if (!entry.text) return invalid("malformed subjectAltName entry in the CSR");
  entry.list->push_back(std::move(*entry.text));
  return std::nullopt;
}

std::optional<Rejection> add_general_names(const GENERAL_NAMES* names, CsrInfo& info) {
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i)
    if (auto rejected = add_general_name(sk_GENERAL_NAME_value(names, i), info)) return rejected;
  return std::nullopt;
}

// The requested extensions live in the extensionRequest attribute
// (PKCS#9, RFC 2985 §5.4.2); only subjectAltName is taken from it.
std::optional<Rejection> read_sans(const detail::CsrParts& parts, CsrInfo& info) {
  if (!parts.has_extension_request) return std::nullopt;
  if (!parts.extensions) return invalid("malformed extensionRequest attribute");
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(parts.extensions.get(), NID_subject_alt_name, &critical, nullptr)));
  if (critical == -2) return invalid("the CSR requests subjectAltName more than once");
  if (!names && critical >= 0) return invalid("malformed subjectAltName extension");
  return names ? add_general_names(names.get(), info) : std::nullopt;
}

std::optional<std::string> utf8_text(const ASN1_STRING* value) {
  unsigned char* raw = nullptr;
  const int length = ASN1_STRING_to_UTF8(&raw, value);
  if (length < 0) return std::nullopt;
  OpenSslString owned(raw);
  std::string text(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(length));
  if (text.find('\0') != std::string::npos) return std::nullopt;
  return text;
}

std::optional<Rejection> read_common_name(const X509_NAME* subject, CsrInfo& info) {
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  // Two CNs leave it open which one a relying party reads (RFC 6125 §6.4.4).
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
    return invalid("the CSR subject has more than one common name");
  auto text = utf8_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (!text) return invalid("the CSR common name is not valid text");
  info.common_name = std::move(*text);
  return std::nullopt;
}

// The same parts through OpenSSL's own X509_REQ, for the forms the DER
// reader leaves to it. Proof of possession (RFC 2986 §3): the request is
// signed with the private key matching the public key it carries.
std::variant<detail::CsrParts, Rejection> parts_via_openssl(const std::string& der, CsrSignature signature) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return invalid("not a PEM certificate request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) return invalid("the CSR public key cannot be read");
  if (signature == CsrSignature::check && X509_REQ_verify(req.get(), key) != 1)
    return invalid("CSR signature does not verify");
  detail::CsrParts parts;
  parts.subject.reset(X509_NAME_dup(X509_REQ_get_subject_name(req.get())));
  EVP_PKEY_up_ref(key);
  parts.key.reset(key);
  parts.spki_der = spki_der(X509_REQ_get_X509_PUBKEY(req.get()));  // as encoded: no OpenSSL 3 encoder
  parts.has_extension_request = X509_REQ_get_attr_by_NID(req.get(), NID_ext_req, -1) >= 0;
  if (parts.has_extension_request) parts.extensions.reset(X509_REQ_get_extensions(req.get()));
  return parts;
}

std::optional<Rejection> read_info(const detail::CsrParts& parts, CsrInfo& info) {
  if (!parts.subject) return invalid("the CSR subject cannot be read");
  if (auto rejected = read_key(parts.key.get(), info)) return rejected;
  info.public_key_der = parts.spki_der;
  if (auto rejected = read_common_name(parts.subject.get(), info)) return rejected;
  return read_sans(parts, info);
}

}  // namespace

std::variant<CsrInfo, Rejection> parse_csr(const std::string& pem, CsrSignature signature) {
  ERR_clear_error();
  std::string der;
  if (auto rejected = read_request_der(pem, der)) return *rejected;
  auto read = detail::read_csr_der(der, signature);
  if (const auto* rejected = std::get_if<Rejection>(&read)) return invalid(rejected->message);
  if (std::holds_alternative<std::monostate>(read)) {
    auto slow = parts_via_openssl(der, signature);
    if (const auto* rejected = std::get_if<Rejection>(&slow)) return *rejected;
    read = std::move(std::get<detail::CsrParts>(slow));
  }
  CsrInfo info;
  if (auto rejected = read_info(std::get<detail::CsrParts>(read), info)) return *rejected;
  return info;
}

}  // namespace signet::pkix

namespace signet::pkix {
namespace {

// "DNS:a,IP:1.2.3.4,...": the text form X509V3_EXT_conf_nid reads.
std::string san_text(const CsrNames& n) {
  std::string out;
  auto add = [&](const char* kind, const std::vector<std::string>& values) {
    for (const auto& v : values) {
      if (!out.empty()) out += ',';
      out.append(kind).append(":").append(v);
    }
  };
  add("DNS", n.dns);
  add("IP", n.ip);
  add("email", n.email);
  add("URI", n.uri);
  return out;
}

bool add_names(X509_REQ* req, const CsrNames& n) {
  if (!n.common_name.empty() &&
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(n.common_name.data()),
                                 static_cast<int>(n.common_name.size()), -1, 0) != 1)
    return false;
  const std::string sans = san_text(n);
  if (sans.empty()) return true;
  X509ExtensionsPtr extensions(sk_X509_EXTENSION_new_null());
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, sans.c_str());
  if (!extensions || san == nullptr || sk_X509_EXTENSION_push(extensions.get(), san) == 0) {
    X509_EXTENSION_free(san);
    return false;
  }
  return X509_REQ_add_extensions(req, extensions.get()) == 1;
}

}  // namespace

std::string make_csr_pem(EVP_PKEY* key, const CsrNames& names) {
  X509ReqPtr req(X509_REQ_new());
  const EVP_MD* md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 || X509_REQ_set_pubkey(req.get(), key) != 1 ||
      !add_names(req.get(), names) || X509_REQ_sign(req.get(), key, md) <= 0) {
    ERR_clear_error();
    return "";
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return "";
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace signet::pkix
