// A test double of a certificate authority, driven by metadata.script, e.g.
// ["pending:1", "fail_retry", "done"]. Steps: done | pending:SECONDS |
// fail_retry | fail | sleep:MILLISECONDS (then done) | throw.
// The position in the script survives a restart through the ticket.
// A repeated request_id gets the certificate issued before; metadata.defect
// "reissue" or "wrong_key" breaks that or the key, for the conformance
// kit's own tests (tests/e2e/plugin_conformance_test.cpp).
// Built a second time as ca-remote-status (SIGNET_SCRIPTED_PUBLISHES_STATUS):
// the stand-in of a remote CA that publishes its own CRL and OCSP at the
// URLs of its config.
#include <signet/sdk.hpp>

#include <map>
#include <mutex>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <algorithm>
#include <stdexcept>
#include <thread>

namespace {

#ifdef SIGNET_SCRIPTED_PUBLISHES_STATUS
constexpr const char* kName = "ca-remote-status";
constexpr std::uint64_t kCapabilities = SIGNET_CAP_CA_PENDING | SIGNET_CAP_CA_PUBLISHES_STATUS;
constexpr const char* kSchema = R"json({"type": "object", "properties": {"crl_url": {"type": "string"},
  "ocsp_url": {"type": "string"}}, "required": ["crl_url", "ocsp_url"], "additionalProperties": false})json";
#else
constexpr const char* kName = "ca-scripted";
constexpr std::uint64_t kCapabilities = SIGNET_CAP_CA_PENDING;
constexpr const char* kSchema = R"json({"type": "object", "properties": {}, "additionalProperties": false})json";
#endif

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void set_name(X509_NAME* name, const std::string& cn) {
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

CertPtr new_cert(EVP_PKEY* subject_key, const std::string& cn, X509_NAME* issuer, long seconds) {
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr), BN_free);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), seconds);
  set_name(X509_get_subject_name(cert.get()), cn);
  X509_set_issuer_name(cert.get(), issuer ? issuer : X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), subject_key);
  return cert;
}

class ScriptedCa final : public signet::CertificateAuthority {
 public:
  explicit ScriptedCa(const nlohmann::json& config)
      : key_(EVP_EC_gen("P-256"), EVP_PKEY_free), ca_(new_cert(key_.get(), "Scripted Test CA", nullptr, 86400)),
        status_{config.value("crl_url", ""), config.value("ocsp_url", ""), ""} {
    add_extension(ca_.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca_.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_sign(ca_.get(), key_.get(), EVP_sha256());
  }

#ifdef SIGNET_SCRIPTED_PUBLISHES_STATUS
  signet::Result<signet::StatusUrls> published_status() override { return status_; }
#endif

  signet::Result<signet::SignOutcome> sign(const signet::SignRequest& r) override {
    // Checked before the script runs: a CA refuses a bad CSR at once, it
    // does not queue it.
    auto csr = read_csr(r.csr_pem);
    if (!csr) return signet::make_error(signet::ErrorCode::invalid_argument, "unreadable CSR or bad self-signature");
    {
      std::lock_guard lock(mutex_);
      // The same request_id gets the same certificate (no second issuance),
      // unless metadata.defect says "reissue" (for the conformance kit's tests).
      auto earlier = issued_.find(r.request_id);
      if (earlier != issued_.end() && r.metadata.value("defect", "") != "reissue") return signet::SignOutcome(earlier->second);
    }
    const auto script = r.metadata.value("script", std::vector<std::string>{"done"});
    const std::size_t position = advance(r.request_id, r.ticket);
    const std::string step = position < script.size() ? script[position] : "done";
    const std::string verb = step.substr(0, step.find(':'));
    const std::string argument = step.find(':') == std::string::npos ? "" : step.substr(step.find(':') + 1);
    if (verb == "pending") return signet::SignOutcome(signet::Pending{std::to_string(position + 1), std::chrono::seconds(std::stoi(argument))});
    if (verb == "fail_retry") return signet::make_error(signet::ErrorCode::unavailable, "scripted transient failure");
    if (verb == "fail") return signet::make_error(signet::ErrorCode::rejected, "scripted final failure");
    if (verb == "throw") throw std::runtime_error("scripted exception");
    if (verb == "sleep") std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(argument)));
    return issue(r);
  }

  signet::Result<std::vector<std::string>> chain() override { return std::vector<std::string>{to_pem(ca_.get())}; }

 private:
  // Where this request is in its script: after the ticket's position, or
  // after the last call seen by this process, whichever is further.
  std::size_t advance(const std::string& request_id, const std::string& ticket) {
    std::lock_guard lock(mutex_);
    std::size_t position = ticket.empty() ? 0 : std::stoul(ticket);
    position = std::max(position, seen_[request_id]);
    seen_[request_id] = position + 1;
    return position;
  }

  using CsrPtr = std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)>;

  static CsrPtr read_csr(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    CsrPtr csr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), X509_REQ_free);
    if (csr && X509_REQ_verify(csr.get(), X509_REQ_get0_pubkey(csr.get())) != 1) csr.reset();
    ERR_clear_error();
    return csr;
  }

  static void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    if (X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value)) {
      X509_add_ext(cert, extension, -1);
      X509_EXTENSION_free(extension);
    }
    ERR_clear_error();
  }

  // subjectAltName from the request's names (the host resolved them).
  static void add_names(X509* cert, const signet::SubjectAltNames& sans) {
    std::string value;
    for (const auto& d : sans.dns) value += (value.empty() ? "" : ",") + ("DNS:" + d);
    for (const auto& i : sans.ip) value += (value.empty() ? "" : ",") + ("IP:" + i);
    if (!value.empty()) add_extension(cert, NID_subject_alt_name, value.c_str());
  }

  signet::Result<signet::SignOutcome> issue(const signet::SignRequest& r) {
    auto csr = read_csr(r.csr_pem);
    if (!csr) return signet::make_error(signet::ErrorCode::invalid_argument, "unreadable CSR");
    EVP_PKEY* subject_key = X509_REQ_get0_pubkey(csr.get());
    // metadata.defect "wrong_key": certify a key of its own, not the CSR's.
    KeyPtr own_key(r.metadata.value("defect", "") == "wrong_key" ? EVP_EC_gen("P-256") : nullptr, EVP_PKEY_free);
    if (own_key) subject_key = own_key.get();
    CertPtr cert = new_cert(subject_key, r.common_name, X509_get_subject_name(ca_.get()), std::clamp<long>(r.ttl.count(), 60, 86400));
    add_names(cert.get(), r.sans);
    X509_sign(cert.get(), key_.get(), EVP_sha256());
    // The root issues directly: chain_pem, which leaves the root out, is empty.
    const signet::IssuedCertificate issued{to_pem(cert.get()), {}};
    std::lock_guard lock(mutex_);
    issued_.insert_or_assign(r.request_id, issued);
    return signet::SignOutcome(issued);
  }

  KeyPtr key_;
  CertPtr ca_;
  signet::StatusUrls status_;
  std::mutex mutex_;
  std::map<std::string, std::size_t> seen_;
  std::map<std::string, signet::IssuedCertificate> issued_;  // by request_id
};

signet::Result<std::unique_ptr<signet::CertificateAuthority>> make_ca(const signet::PluginContext& context) {
  return std::unique_ptr<signet::CertificateAuthority>(std::make_unique<ScriptedCa>(context.config));
}

}  // namespace

SIGNET_PLUGIN(signet::CertificateAuthority, kName, "1.0.0", kSchema, kCapabilities, make_ca)
