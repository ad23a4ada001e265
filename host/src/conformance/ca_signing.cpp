#include "conformance/ca_signing.hpp"

#include <algorithm>
#include <thread>

#include <signet/x509.hpp>

namespace signet::host::conformance {
namespace {

constexpr auto kLongestSanePending = std::chrono::hours(24);

// The host calls again no earlier than retry_after; the kit calls after at
// most 1 s, so a run stays short. An early call with the ticket must be
// honoured all the same (Pending again, or the certificate).
std::chrono::milliseconds poll_delay(std::chrono::seconds retry_after) {
  return std::clamp<std::chrono::milliseconds>(retry_after, std::chrono::milliseconds(50), std::chrono::seconds(1));
}

}  // namespace

pkix::CsrNames CaSigner::names(const std::string& prefix) const {
  const std::string name = suite_.unique(prefix) + ".conformance.example.com";
  return {name, {name}, {}, {}, {}};
}

SignRequest CaSigner::request_for(const std::string& csr_pem, const std::string& common_name,
                                  const std::vector<std::string>& dns, std::chrono::seconds ttl,
                                  const std::vector<std::string>& ip) const {
  SignRequest request;
  request.request_id = suite_.unique("req");
  request.tenant = "conformance";
  request.csr_pem = csr_pem;
  request.common_name = common_name;
  request.sans.dns = dns;
  request.sans.ip = ip;
  request.ttl = ttl;
  request.policy = {"conformance", {"digital_signature"}, {"server_auth"}, std::chrono::hours(24 * 90)};
  request.metadata = suite_.options.metadata;
  // What the host hands a CA whose status it publishes (docs/revocation.md).
  if (suite_.announces(SIGNET_CAP_CA_CRL) || suite_.announces(SIGNET_CAP_CA_OCSP))
    request.status_urls = {"http://pki.conformance.example.com/crl/conformance.crl",
                           "http://pki.conformance.example.com/ocsp/conformance",
                           "http://pki.conformance.example.com/ca/conformance.crt"};
  return request;
}

Result<SignOutcome> CaSigner::sign_once(const SignRequest& request) {
  auto& ca = static_cast<CertificateAuthority&>(*suite_.instance);
  return suite_.calls.run("sign", [&] { return ca.sign(request); });
}

SignOutcomeCheck CaSigner::sign_fresh(const pkix::CsrNames& names, std::chrono::seconds ttl) {
  auto key = std::make_shared<TestRequest>(make_request(names));
  if (key->csr_pem.empty()) return {Verdict::fail("the kit could not make a CSR"), std::nullopt, std::nullopt};
  // The names of the request are the CSR's, as the host sends them.
  return follow(request_for(key->csr_pem, names.common_name, names.dns, ttl, names.ip), key);
}

std::optional<std::string> CaSigner::check_pending(const Pending& pending) {
  if (!suite_.announces(SIGNET_CAP_CA_PENDING)) return "answered Pending without announcing 'pending'";
  if (pending.ticket.empty()) return std::string("answered Pending with an empty ticket");
  if (pending.retry_after < std::chrono::seconds(1) || pending.retry_after > kLongestSanePending)
    return "answered Pending with retry_after " + std::to_string(pending.retry_after.count()) + " s (want 1 s to 1 day)";
  return std::nullopt;
}

SignOutcomeCheck CaSigner::follow(SignRequest request, const std::shared_ptr<TestRequest>& key) {
  const SignRequest first = request;
  const auto deadline = Clock::now() + suite_.options.pending_wait;
  for (int round = 0; round < 10000; ++round) {
    auto outcome = sign_once(request);
    if (!outcome) {
      if (!request.ticket.empty()) {
        std::lock_guard lock(mutex_);
        pending_.push_back({request.ticket, {}, "the call with ticket \"" + request.ticket + "\" failed: " + describe(outcome.error())});
      }
      return {Verdict::fail("sign failed: " + describe(outcome.error())), outcome.error(), std::nullopt};
    }
    if (const auto* pending = std::get_if<Pending>(&outcome.value())) {
      const auto problem = check_pending(*pending);
      {
        std::lock_guard lock(mutex_);
        pending_.push_back({pending->ticket, pending->retry_after, problem.value_or("")});
      }
      if (problem) return {Verdict::fail(*problem), std::nullopt, std::nullopt};
      if (Clock::now() >= deadline)
        return {Verdict::skip("still pending after " + std::to_string(suite_.options.pending_wait.count()) +
                              " s (approve it at the CA, or raise --pending-wait)"), std::nullopt, std::nullopt};
      std::this_thread::sleep_for(poll_delay(pending->retry_after));
      request.ticket = pending->ticket;
      continue;
    }
    const auto& issued = std::get<IssuedCertificate>(outcome.value());
    std::string problem;
    const auto* chain = ca_chain(problem);
    if (!chain) return {Verdict::fail(problem), std::nullopt, std::nullopt};
    problem = check_issued(issued.certificate_pem, issued.chain_pem, *chain, *key);
    if (!problem.empty()) return {Verdict::fail(problem), std::nullopt, std::nullopt};
    IssuedCheck check{first, key, issued.certificate_pem, issued.chain_pem, x509::certificate_facts(issued.certificate_pem)->serial_hex};
    std::lock_guard lock(mutex_);
    const bool seen = std::any_of(issued_.begin(), issued_.end(), [&](const auto& c) { return c.serial_hex == check.serial_hex; });
    if (!seen) issued_.push_back(check);
    return {std::nullopt, std::nullopt, std::move(check)};
  }
  return {Verdict::fail("sign answered Pending 10,000 times"), std::nullopt, std::nullopt};
}

SignOutcomeCheck CaSigner::follow_revoke(RevokeRequest request) {
  auto& ca = static_cast<CertificateAuthority&>(*suite_.instance);
  const auto deadline = Clock::now() + suite_.options.pending_wait;
  for (int round = 0; round < 10000; ++round) {
    auto outcome = suite_.calls.run("revoke", [&] { return ca.revoke(request); });
    if (!outcome) return {Verdict::fail("revoke failed: " + describe(outcome.error())), outcome.error(), std::nullopt};
    const auto* pending = std::get_if<Pending>(&outcome.value());
    if (!pending) return {};
    if (auto problem = check_pending(*pending)) return {Verdict::fail("revoke " + *problem), std::nullopt, std::nullopt};
    if (Clock::now() >= deadline)
      return {Verdict::skip("revocation still pending after " + std::to_string(suite_.options.pending_wait.count()) + " s"),
              std::nullopt, std::nullopt};
    std::this_thread::sleep_for(poll_delay(pending->retry_after));
    request.ticket = pending->ticket;
  }
  return {Verdict::fail("revoke answered Pending 10,000 times"), std::nullopt, std::nullopt};
}

const std::vector<std::string>* CaSigner::ca_chain(std::string& problem) {
  {
    std::lock_guard lock(mutex_);
    if (!ca_chain_.empty()) return &ca_chain_;
  }
  auto& ca = static_cast<CertificateAuthority&>(*suite_.instance);
  auto chain = suite_.calls.run("chain", [&] { return ca.chain(); });
  if (!chain) {
    problem = "chain() failed: " + describe(chain.error());
    return nullptr;
  }
  if (problem = check_ca_chain(chain.value()); !problem.empty()) return nullptr;
  std::lock_guard lock(mutex_);
  if (ca_chain_.empty()) ca_chain_ = std::move(chain).value();
  return &ca_chain_;
}

std::vector<PendingSeen> CaSigner::pending_seen() const {
  std::lock_guard lock(mutex_);
  return pending_;
}

std::vector<IssuedCheck> CaSigner::issued() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

}  // namespace signet::host::conformance
