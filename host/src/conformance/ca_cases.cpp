// What a `ca` plugin is held to (sdk/include/signet/ca.hpp and
// docs/plugin-authoring.md): capabilities announced for exactly what it
// does, a chain in the host's order, certificates for the CSR's key that
// OpenSSL verifies, one certificate per request_id, Pending instead of
// waiting, names and lifetimes honoured or refused, revocation that may be
// repeated, and, for a `local` CA, every certificate in the ledger first.
#include <algorithm>
#include <set>
#include <thread>

#include <openssl/x509.h>

#include <signet/x509.hpp>

#include "conformance/ca_signing.hpp"
#include "conformance/crypto_checks.hpp"
#include "conformance/suite.hpp"
#include <pkix/pem.hpp>

namespace signet::host::conformance {
namespace {

std::string tbs_der_of(const std::string& pem) {
  auto cert = pkix::read_certificate_pem(pem);
  if (!cert) return {};
  unsigned char* der = nullptr;
  const int n = i2d_re_X509_tbs(cert.value().get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

class CaCases {
 public:
  explicit CaCases(Suite& suite) : suite_(suite), signer_(suite) {}

  void run() {
    suite_.run("ca.capabilities", [&] { return capabilities(); });
    suite_.run("ca.chain", [&] { return chain(); });
    suite_.run("ca.sign", [&] { return sign(); });
    suite_.run("ca.idempotent", [&] { return idempotent(); });
    suite_.run("ca.pending", [&] { return pending(); });
    suite_.run("ca.sans_ttl", [&] { return sans_ttl(); });
    suite_.run("ca.revoke", [&] { return revoke(); });
    suite_.run("ca.crl", [&] { return crl(); });
    suite_.run("ca.ocsp_signer", [&] { return ocsp_signer(); });
    suite_.run("ca.published_status", [&] { return published_status(); });
    suite_.run("ca.concurrency", [&] { return concurrency(); });
    suite_.run("ca.hostile_inputs", [&] { return hostile_inputs(); });
    suite_.run("ca.ledger", [&] { return ledger(); });
  }

 private:
  CertificateAuthority& ca() { return static_cast<CertificateAuthority&>(*suite_.instance); }

  // An optional method answers `unsupported` exactly when its bit is not announced.
  Verdict capabilities() {
    struct Probe { std::uint64_t bit; const char* name; std::function<std::optional<Error>()> call; };
    const std::vector<Probe> probes = {
        {SIGNET_CAP_CA_REVOKE, "revoke", [&] { return error_of(suite_.calls.run("revoke", [&] { return ca().revoke(garbage_revoke()); })); }},
        {SIGNET_CAP_CA_CRL, "crl", [&] { return error_of(suite_.calls.run("sign_crl", [&] { return ca().sign_crl(CrlRequest{}); })); }},
        {SIGNET_CAP_CA_OCSP, "ocsp", [&] { return error_of(suite_.calls.run("certify_ocsp_signer", [&] { return ca().certify_ocsp_signer({}); })); }},
        {SIGNET_CAP_CA_PUBLISHES_STATUS, "publishes_status", [&] { return error_of(suite_.calls.run("published_status", [&] { return ca().published_status(); })); }},
        {SIGNET_CAP_CA_MANAGE, "manage", [&] { return error_of(suite_.calls.run("import_ca", [&] { return ca().import_ca({}); })); }},
    };
    for (const auto& probe : probes) {
      const auto error = probe.call();
      const bool unsupported = error && error->code == ErrorCode::unsupported;
      if (suite_.announces(probe.bit) && unsupported)
        return Verdict::fail(std::string("announces '") + probe.name + "' but answers unsupported: " + error->message);
      if (!suite_.announces(probe.bit) && !unsupported)
        return Verdict::fail(std::string("answers ") + (error ? std::string(to_string(error->code)) : "success") + " to the '" +
                             probe.name + "' method without announcing '" + probe.name + "' (the host will never call it)");
    }
    return Verdict::pass();
  }

  // `manage`: on_start twice gives the same chain (the host calls it at
  // every start). Public: it runs before the instance's health check.
 public:
  Verdict initialize() {
    auto first = suite_.calls.run("initialize", [&] { return ca().initialize(CaInit{true}); });
    if (!first) return Verdict::fail("initialize(on_start) failed: " + describe(first.error()));
    auto again = suite_.calls.run("initialize", [&] { return ca().initialize(CaInit{true}); });
    if (!again) return Verdict::fail("initialize a second time failed: " + describe(again.error()));
    if (again.value() != first.value()) return Verdict::fail("initialize a second time returned another chain: it must keep the CA it made");
    return Verdict::pass(std::to_string(first->size()) + " certificates");
  }

 private:
  Verdict chain() {
    auto chain = suite_.calls.run("chain", [&] { return ca().chain(); });
    if (!chain) return Verdict::fail("chain() failed: " + describe(chain.error()));
    if (auto problem = check_ca_chain(chain.value()); !problem.empty()) return Verdict::fail(problem);
    ca_chain_ = chain.value();
    return Verdict::pass(std::to_string(ca_chain_.size()) + " certificates, issuing CA first");
  }

  Verdict sign() {
    auto issued = signer_.sign_fresh(signer_.names("sign"), std::chrono::hours(1));
    if (issued.verdict) return *issued.verdict;
    first_ = issued.certificate;
    return Verdict::pass("serial " + first_->serial_hex);
  }

  // The host repeats a request_id after a crash or a lost answer; the CA
  // must answer with what it did the first time, never issue again.
  Verdict idempotent() {
    if (auto missing = need_first()) return *missing;
    auto again = signer_.follow(first_->request, first_->key);
    if (again.verdict) return *again.verdict;
    if (again.certificate->serial_hex != first_->serial_hex)
      return Verdict::fail("a second certificate (serial " + again.certificate->serial_hex + ") for request_id " +
                           first_->request.request_id + ", whose first was serial " + first_->serial_hex +
                           ": use request_id as the idempotency key");
    return Verdict::pass("the same serial " + first_->serial_hex);
  }

  Verdict pending() {
    if (auto missing = need_first()) return *missing;
    const auto seen = signer_.pending_seen();
    if (seen.empty()) {
      if (suite_.announces(SIGNET_CAP_CA_PENDING))
        return Verdict::skip("announces 'pending' but answered no request with Pending in this run");
      return Verdict::pass("no Pending answers, none announced");
    }
    if (!suite_.announces(SIGNET_CAP_CA_PENDING)) return Verdict::fail("answers Pending without announcing 'pending'");
    for (const auto& p : seen) {
      if (!p.problem.empty()) return Verdict::fail(p.problem);
    }
    return Verdict::pass(std::to_string(seen.size()) + " Pending answers, each ticket honoured");
  }

  Verdict sans_ttl() {
    if (auto missing = need_chain()) return *missing;
    const std::vector<std::string> dns = {"sans.conformance.example.com", "alt.conformance.example.com"};
    const std::vector<std::string> ip = {"192.0.2.10"};
    const auto ttl = std::chrono::hours(2);
    auto outcome = signer_.sign_fresh({"sans.conformance.example.com", dns, ip, {}, {}}, ttl);
    if (outcome.refused && outcome.refused->code == ErrorCode::rejected)
      return Verdict::pass("refused with rejected: " + outcome.refused->message);
    if (outcome.verdict) return *outcome.verdict;
    auto facts = x509::certificate_facts(outcome.certificate->pem);
    for (const auto& name : dns)
      if (std::find(facts->dns.begin(), facts->dns.end(), name) == facts->dns.end())
        return Verdict::fail("the certificate lacks the requested DNS name " + name);
    for (const auto& address : ip)
      if (std::find(facts->ip.begin(), facts->ip.end(), address) == facts->ip.end())
        return Verdict::fail("the certificate lacks the requested IP address " + address);
    for (const auto& name : facts->dns)
      if (std::find(dns.begin(), dns.end(), name) == dns.end())
        return Verdict::fail("the certificate names " + name + ", which was not requested");
    const auto latest = std::chrono::system_clock::now() + ttl + std::chrono::minutes(5);
    if (facts->not_after > latest) return Verdict::fail("notAfter is past the requested lifetime of 2 h");
    if (facts->not_after <= std::chrono::system_clock::now()) return Verdict::fail("the certificate has already expired");
    return Verdict::pass("names and a 2 h lifetime honoured");
  }

  Verdict revoke() {
    if (!suite_.announces(SIGNET_CAP_CA_REVOKE)) return Verdict::skip("does not announce 'revoke'");
    if (auto missing = need_first()) return *missing;
    RevokeRequest request{suite_.unique("revoke"), "conformance", first_->serial_hex, first_->pem,
                          RevocationReason::key_compromise, "", nlohmann::json::object()};
    for (int attempt = 1; attempt <= 2; ++attempt) {
      auto revoked = signer_.follow_revoke(request);
      if (revoked.verdict && (attempt == 1 || revoked.verdict->outcome == Outcome::skip)) return *revoked.verdict;
      if (revoked.verdict) return Verdict::fail("revoking again: " + revoked.verdict->reason);
    }
    request.request_id = suite_.unique("revoke");
    auto other = signer_.follow_revoke(request);
    if (other.verdict) return Verdict::fail("revoking an already revoked certificate under a new request_id: " + other.verdict->reason);
    return Verdict::pass("revoked; again and under a new request_id without error");
  }

  Verdict crl() {
    if (!suite_.announces(SIGNET_CAP_CA_CRL)) return Verdict::skip("does not announce 'crl'");
    if (auto missing = need_chain()) return *missing;
    const std::string serial = first_ ? first_->serial_hex : "";
    CrlRequest request;
    request.number = 7;
    request.this_update = std::chrono::system_clock::now();
    request.next_update = request.this_update + std::chrono::hours(24);
    if (!serial.empty()) request.entries.push_back(crl_entry(serial));
    auto crl = suite_.calls.run("sign_crl", [&] { return ca().sign_crl(request); });
    if (!crl) return Verdict::fail("sign_crl failed: " + describe(crl.error()));
    if (auto problem = check_crl(crl.value(), ca_chain_, serial, request.number); !problem.empty()) return Verdict::fail(problem);
    return Verdict::pass("signed by the issuing CA, cRLNumber 7" + std::string(serial.empty() ? "" : ", the entry listed"));
  }

  Verdict ocsp_signer() {
    if (!suite_.announces(SIGNET_CAP_CA_OCSP)) return Verdict::skip("does not announce 'ocsp'");
    if (auto missing = need_chain()) return *missing;
    const TestRequest key = make_request({});
    OcspSignerRequest request{key.public_key_der, "Conformance OCSP Responder",
                              std::chrono::system_clock::now() + std::chrono::hours(24)};
    auto cert = suite_.calls.run("certify_ocsp_signer", [&] { return ca().certify_ocsp_signer(request); });
    if (!cert) return Verdict::fail("certify_ocsp_signer failed: " + describe(cert.error()));
    if (auto problem = check_ocsp_signer(cert.value(), ca_chain_, key.public_key_der); !problem.empty()) return Verdict::fail(problem);
    return Verdict::pass();
  }

  Verdict published_status() {
    if (!suite_.announces(SIGNET_CAP_CA_PUBLISHES_STATUS)) return Verdict::skip("does not announce 'publishes_status'");
    auto urls = suite_.calls.run("published_status", [&] { return ca().published_status(); });
    if (!urls) return Verdict::fail("published_status failed: " + describe(urls.error()));
    for (const auto& url : {urls->crl, urls->ocsp, urls->ca_issuers})
      if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://"))
        return Verdict::fail("published_status names " + url + ", which is no http(s) URL");
    if (urls->crl.empty() && urls->ocsp.empty()) return Verdict::fail("published_status names neither a CRL nor an OCSP URL");
    return Verdict::pass();
  }

  Verdict concurrency() {
    if (auto missing = need_chain()) return *missing;
    const int threads = suite_.options.threads, each = 3;
    std::vector<SignOutcomeCheck> outcomes(static_cast<std::size_t>(threads * each));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        for (int i = 0; i < each; ++i)
          outcomes[static_cast<std::size_t>(t * each + i)] = signer_.sign_fresh(signer_.names("concurrent"), std::chrono::hours(1));
      });
    for (auto& w : workers) w.join();
    std::set<std::string> serials;
    for (const auto& outcome : outcomes) {
      if (outcome.verdict && outcome.verdict->outcome == Outcome::skip) return *outcome.verdict;
      if (outcome.verdict) return Verdict::fail("with " + std::to_string(threads) + " threads signing at once: " + outcome.verdict->reason);
      if (!serials.insert(outcome.certificate->serial_hex).second)
        return Verdict::fail("two concurrent requests got the same serial " + outcome.certificate->serial_hex);
    }
    return Verdict::pass(std::to_string(outcomes.size()) + " certificates from " + std::to_string(threads) + " threads");
  }

  Verdict hostile_inputs() {
    const auto thrown_before = suite_.calls.exceptions().size();
    const TestRequest valid = make_request({"hostile.conformance.example.com", {}, {}, {}, {}});
    std::string broken = valid.csr_pem;
    broken[broken.size() / 2] = broken[broken.size() / 2] == 'A' ? 'B' : 'A';
    const std::vector<std::pair<std::string, std::string>> bad_csrs = {
        {"an empty CSR", ""}, {"text that is no PEM", "garbage"},
        {"a PEM block of bad base64", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n"},
        {"a CSR with one character changed", broken}};
    for (const auto& [what, csr] : bad_csrs) {
      auto outcome = signer_.sign_once(signer_.request_for(csr, "hostile.conformance.example.com", {}, std::chrono::hours(1)));
      if (outcome.ok()) return Verdict::fail("sign accepted " + what);
      if (outcome.error().retryable()) return Verdict::fail("sign answered " + what + " with a retryable error, so the host would retry it forever: " + describe(outcome.error()));
    }
    const std::vector<std::pair<std::string, SignRequest>> odd = {
        {"a 1 MiB common name", signer_.request_for(valid.csr_pem, std::string(1 << 20, 'a'), {}, std::chrono::hours(1))},
        {"a common name that is not UTF-8", signer_.request_for(valid.csr_pem, "\xff\xfe.example.com", {}, std::chrono::hours(1))},
        {"10,000 DNS names", signer_.request_for(valid.csr_pem, "hostile.conformance.example.com",
                                                 std::vector<std::string>(10000, "many.conformance.example.com"), std::chrono::hours(1))},
        {"a DNS name with a NUL", signer_.request_for(valid.csr_pem, "hostile.conformance.example.com",
                                                      {std::string("nul\0.example.com", 16)}, std::chrono::hours(1))},
        {"a negative lifetime", signer_.request_for(valid.csr_pem, "hostile.conformance.example.com", {}, std::chrono::seconds(-1))},
        {"a lifetime of 1000 years", signer_.request_for(valid.csr_pem, "hostile.conformance.example.com", {}, std::chrono::hours(24 * 365 * 1000))}};
    int refused = 0;
    for (const auto& [what, request] : odd) {
      auto outcome = signer_.sign_once(request);
      if (outcome.ok()) continue;
      ++refused;
      if (outcome.error().retryable()) return Verdict::fail("sign answered " + what + " with a retryable error: " + describe(outcome.error()));
    }
    if (suite_.announces(SIGNET_CAP_CA_REVOKE))
      for (const auto& serial : {std::string(), std::string("zz"), std::string(4096, 'f')}) {
        RevokeRequest request = garbage_revoke();
        request.serial_hex = serial;
        auto outcome = suite_.calls.run("revoke", [&] { return ca().revoke(request); });
        if (!outcome && outcome.error().retryable()) return Verdict::fail("revoke answered a malformed serial with a retryable error");
      }
    if (suite_.calls.exceptions().size() != thrown_before) return Verdict::fail("an exception crossed the boundary: " + suite_.calls.exceptions().back());
    return Verdict::pass("4 malformed CSRs refused; " + std::to_string(refused) + " of 6 odd requests refused, none retryable");
  }

  // A `local` CA records each certificate before it signs it: the ledger
  // must hold the serial with the very TBSCertificate that was signed.
  Verdict ledger() {
    if (!suite_.announces(SIGNET_CAP_CA_LOCAL)) return Verdict::skip("does not announce 'local'");
    const auto issued = signer_.issued();
    if (issued.empty()) return Verdict::skip("no certificate was issued in this run");
    for (const auto& cert : issued) {
      const auto record = suite_.ledger.find(suite_.options.instance_name, cert.serial_hex);
      if (!record) return Verdict::fail("serial " + cert.serial_hex + " was issued without a ledger record");
      if (record->tbs_der != tbs_der_of(cert.pem)) return Verdict::fail("the ledger's TBSCertificate of serial " + cert.serial_hex + " is not the one signed");
      if (record->request_id != cert.request.request_id) return Verdict::fail("the ledger names another request_id for serial " + cert.serial_hex);
    }
    return Verdict::pass(std::to_string(issued.size()) + " certificates, each recorded first");
  }

  // The CA's chain, read once by whichever case needs it first, so every
  // case can run alone (--case).
  std::optional<Verdict> need_chain() {
    if (!ca_chain_.empty()) return std::nullopt;
    std::string problem;
    const auto* chain = signer_.ca_chain(problem);
    if (!chain) return Verdict::skip("no usable chain: " + problem);
    ca_chain_ = *chain;
    return std::nullopt;
  }

  std::optional<Verdict> need_first() {
    if (first_) return std::nullopt;
    auto issued = signer_.sign_fresh(signer_.names("sign"), std::chrono::hours(1));
    if (issued.verdict) return issued.verdict->outcome == Outcome::fail ? Verdict::skip("no certificate to work with: " + issued.verdict->reason) : *issued.verdict;
    first_ = issued.certificate;
    return std::nullopt;
  }

  RevokeRequest garbage_revoke() {
    return RevokeRequest{suite_.unique("revoke"), "conformance", "7f" + suite_.unique("").substr(1, 16), "",
                         RevocationReason::unspecified, "", nlohmann::json::object()};
  }

  static CrlEntry crl_entry(const std::string& serial_hex) {
    CrlEntry entry;
    for (std::size_t i = 0; i + 1 < serial_hex.size() && entry.serial_size < entry.serial.size(); i += 2)
      entry.serial[entry.serial_size++] = static_cast<std::uint8_t>(std::stoi(serial_hex.substr(i, 2), nullptr, 16));
    entry.reason = RevocationReason::key_compromise;
    entry.revoked_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return entry;
  }

  Suite& suite_;
  CaSigner signer_;
  std::vector<std::string> ca_chain_;
  std::optional<IssuedCheck> first_;
};

}  // namespace

void run_ca_cases(Suite& suite) { CaCases(suite).run(); }

void run_ca_start(Suite& suite) {
  // The host asks a `manage` CA for its chain at start (on_start), before
  // anything else: the CA may create itself then.
  if (suite.announces(SIGNET_CAP_CA_MANAGE)) suite.run("ca.initialize", [&] { return CaCases(suite).initialize(); });
}

}  // namespace signet::host::conformance
