#include "tls/self_signed.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <pkix/openssl_ptr.hpp>
#include <fsutil/files.hpp>
#include "util/text.hpp"

namespace signet::host {

using namespace signet::pkix;  // NOLINT: the OpenSSL pointer types
namespace {

constexpr long kBackdateSeconds = 5 * 60;  // tolerate clients whose clocks run a little behind
constexpr int kMaxDays = 36500;
constexpr std::size_t kMaxCommonName = 64;  // ub-common-name, RFC 5280 Appendix A.1

Error openssl_failure(const std::string& what) {
  return make_error(ErrorCode::internal, what + ": " + openssl_error());
}


// --- input checks --------------------------------------------------------------

Result<void> check_arguments(const std::string& common_name, const std::vector<std::string>& extra_dns, int days) {
  if (common_name.empty() || common_name.size() > kMaxCommonName)
    return make_error(ErrorCode::invalid_argument, "the common name must have 1 to 64 characters");
  if (days < 1 || days > kMaxDays)
    return make_error(ErrorCode::invalid_argument, "the validity must be 1 to 36500 days");
  for (const auto& name : extra_dns)
    if (!valid_dns_name(ascii_lowercase(name)))
      return make_error(ErrorCode::invalid_argument, "not a DNS name: " + name);
  return {};
}

// --- key and certificate fields ----------------------------------------------

Result<EvpPkeyPtr> generate_p256_key() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1)
    return openssl_failure("cannot set up P-256 key generation");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) return openssl_failure("cannot generate a P-256 key");
  return EvpPkeyPtr(raw);
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets. 128 random bits with the
// top bit set encode in 17 octets and are never zero.
Result<void> set_random_serial(X509* cert) {
  BignumPtr number(BN_new());
  if (!number || BN_rand(number.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1)
    return openssl_failure("cannot draw a serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) return openssl_failure("cannot set the serial");
  return {};
}

Result<void> set_validity(X509* cert, int days) {
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, nullptr) == nullptr)
    return openssl_failure("cannot set the validity");
  return {};
}

// Subject and issuer are the same name: the certificate is its own anchor.
Result<void> set_names(X509* cert, const std::string& common_name) {
  X509NamePtr name(X509_NAME_new());
  const auto* bytes = reinterpret_cast<const unsigned char*>(common_name.data());
  if (!name ||
      X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8, bytes,
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_subject_name(cert, name.get()) != 1 || X509_set_issuer_name(cert, name.get()) != 1)
    return openssl_failure("cannot set the subject");
  return {};
}

// --- extensions ----------------------------------------------------------------

// Fixed extension values in OpenSSL's configuration syntax; none holds caller input.
Result<void> add_conf_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);  // issuer = subject: self-signed
  X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1)
    return openssl_failure(std::string("cannot add extension ") + OBJ_nid2sn(nid));
  return {};
}

Result<void> push_dns_name(GENERAL_NAMES* names, const std::string& dns) {
  GeneralNamePtr name(GENERAL_NAME_new());
  OpenSslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free> text(ASN1_IA5STRING_new());
  if (!name || !text || ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1)
    return openssl_failure("cannot encode DNS name " + dns);
  GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
  if (sk_GENERAL_NAME_push(names, name.get()) == 0) return openssl_failure("cannot add DNS name " + dns);
  name.release();  // the stack owns it now
  return {};
}

Result<void> push_ip_address(GENERAL_NAMES* names, const char* ip) {
  GeneralNamePtr name(GENERAL_NAME_new());
  Asn1OctetStringPtr address(a2i_IPADDRESS(ip));
  if (!name || !address) return openssl_failure(std::string("cannot encode IP address ") + ip);
  GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address.release());
  if (sk_GENERAL_NAME_push(names, name.get()) == 0) return openssl_failure(std::string("cannot add IP ") + ip);
  name.release();  // the stack owns it now
  return {};
}

std::vector<std::string> dns_names(const std::vector<std::string>& extra_dns) {
  std::vector<std::string> names{"localhost"};
  for (const auto& name : extra_dns)
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

// Built as structures rather than configuration text, so a caller's name can
// never smuggle in "IP:" or "," syntax.
Result<void> add_subject_alt_names(X509* cert, const std::vector<std::string>& extra_dns) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return openssl_failure("cannot allocate subjectAltName");
  for (const auto& dns : dns_names(extra_dns))
    if (auto pushed = push_dns_name(names.get(), dns); !pushed) return pushed;
  for (const char* ip : {"127.0.0.1", "::1"})
    if (auto pushed = push_ip_address(names.get(), ip); !pushed) return pushed;
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_failure("cannot add subjectAltName");
  return {};
}

// A CA certificate must carry basicConstraints and keyUsage as critical
// (RFC 5280 §4.2.1.9, §4.2.1.3) and a subject key identifier (§4.2.1.2).
// The authority key identifier may be left out of a self-signed one (§4.2.1.1).
Result<void> add_extensions(X509* cert, const std::vector<std::string>& extra_dns) {
  if (auto r = add_conf_extension(cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"); !r) return r;
  if (auto r = add_conf_extension(cert, NID_key_usage, "critical,digitalSignature,keyCertSign"); !r) return r;
  if (auto r = add_conf_extension(cert, NID_ext_key_usage, "serverAuth"); !r) return r;
  if (auto r = add_conf_extension(cert, NID_subject_key_identifier, "hash"); !r) return r;
  return add_subject_alt_names(cert, extra_dns);
}

// --- assembly ------------------------------------------------------------------

Result<void> fill_certificate(X509* cert, EVP_PKEY* key, const std::string& common_name,
                              const std::vector<std::string>& extra_dns, int days) {
  if (X509_set_version(cert, X509_VERSION_3) != 1 || X509_set_pubkey(cert, key) != 1)
    return openssl_failure("cannot set up the certificate");
  if (auto r = set_random_serial(cert); !r) return r;
  if (auto r = set_validity(cert, days); !r) return r;
  if (auto r = set_names(cert, common_name); !r) return r;
  if (auto r = add_extensions(cert, extra_dns); !r) return r;
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return openssl_failure("cannot sign the certificate");
  return {};
}

Result<std::string> bio_text(BIO* bio) {
  BUF_MEM* memory = nullptr;
  if (BIO_get_mem_ptr(bio, &memory) != 1 || memory == nullptr) return openssl_failure("cannot read PEM output");
  return std::string(memory->data, memory->length);
}

Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_failure("cannot encode the certificate");
  return bio_text(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_failure("cannot encode the private key");
  return bio_text(bio.get());
}

}  // namespace

Result<SelfSigned> make_self_signed(const std::string& common_name, const std::vector<std::string>& extra_dns,
                                    int days) {
  ERR_clear_error();
  if (auto checked = check_arguments(common_name, extra_dns, days); !checked) return std::move(checked).error();
  auto key = generate_p256_key();
  if (!key) return std::move(key).error();
  X509Ptr cert(X509_new());
  if (!cert) return openssl_failure("cannot allocate a certificate");
  if (auto filled = fill_certificate(cert.get(), key->get(), common_name, extra_dns, days); !filled)
    return std::move(filled).error();
  auto cert_text = cert_pem(cert.get());
  if (!cert_text) return std::move(cert_text).error();
  auto key_text = key_pem(key->get());
  if (!key_text) return std::move(key_text).error();
  return SelfSigned{std::move(*cert_text), std::move(*key_text)};
}

// The key goes first, so a new certificate never sits on disk without its key.
Result<void> write_key_and_cert(const SelfSigned& pair, const std::string& key_path, const std::string& cert_path) {
  if (auto key = fsutil::write_file_atomically(key_path, pair.key_pem, 0600); !key) return key;
  return fsutil::write_file_atomically(cert_path, pair.cert_pem, 0644);
}

}  // namespace signet::host
