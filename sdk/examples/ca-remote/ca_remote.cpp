// ca-remote: a certificate authority plugin for a CA that runs elsewhere and
// is reached over HTTPS (PROTOCOL.md). The example of the hard parts of a
// remote CA: answering Pending with a ticket instead of waiting, request_id
// as the idempotency key, remote errors mapped to retryable or final, the
// host's HTTP client, and capabilities announced for what it really does.
// See docs/plugin-tutorial.md and docs/plugin-authoring.md.
#include <signet/sdk.hpp>
#include <signet/x509.hpp>

#include <fstream>
#include <mutex>

#include "remote_client.hpp"

namespace ca_remote {
namespace {

constexpr const char* kSchema = R"json({
  "type": "object",
  "properties": {
    "url": {"type": "string", "pattern": "^https://[^/?#]+(/[^?#]*)?$", "description": "the remote CA's base URL"},
    "api_key": {"type": "string", "minLength": 1, "description": "bearer key; write ${env:NAME} or ${file:PATH}, never the key itself"},
    "ca_file": {"type": "string", "minLength": 1, "description": "PEM bundle the remote's TLS certificate chains to; absent: the system store"},
    "profile": {"type": "string", "minLength": 1, "default": "server", "description": "the remote's profile to enrol under"},
    "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 120000, "default": 10000},
    "default_retry_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 10,
                              "description": "how long to wait when the remote says pending or busy without Retry-After"}
  },
  "required": ["url", "api_key"],
  "additionalProperties": false
})json";

// RFC 5280 §5.3.1 reason names, as the remote spells them.
const char* reason_name(signet::RevocationReason reason) {
  switch (reason) {
    case signet::RevocationReason::unspecified: return "unspecified";
    case signet::RevocationReason::key_compromise: return "key_compromise";
    case signet::RevocationReason::ca_compromise: return "ca_compromise";
    case signet::RevocationReason::affiliation_changed: return "affiliation_changed";
    case signet::RevocationReason::superseded: return "superseded";
    case signet::RevocationReason::cessation_of_operation: return "cessation_of_operation";
    case signet::RevocationReason::certificate_hold: return "certificate_hold";
    case signet::RevocationReason::privilege_withdrawn: return "privilege_withdrawn";
    case signet::RevocationReason::aa_compromise: return "aa_compromise";
  }
  return "unspecified";
}

// A ticket goes into a URL path: only what the remote's ids are made of.
bool plausible_id(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
}

class RemoteCa final : public signet::CertificateAuthority {
 public:
  RemoteCa(RemoteConfig config, std::string profile, signet::HostServices& services)
      : client_(std::move(config), services), profile_(std::move(profile)) {}

  signet::Result<signet::SignOutcome> sign(const signet::SignRequest& request) override {
    // Checked here, before any remote call: a request that cannot succeed
    // costs the remote nothing, and the key is what the answer is held to.
    auto csr = signet::x509::csr_facts(request.csr_pem);
    if (!csr) return std::move(csr).error();
    // With a ticket the remote already has the enrolment: ask about it. A
    // lost ticket is harmless, since enrolling again with the same
    // Idempotency-Key finds the same enrolment instead of making another.
    if (plausible_id(request.ticket)) {
      auto answer = client_.call("GET", "/v1/enrollments/" + request.ticket);
      if (!answer) return std::move(answer).error();
      if (answer->status != 404) return outcome_of(*answer, csr->public_key_der, "poll");
    }
    auto answer = client_.call("POST", "/v1/enrollments", enrolment_body(request), request.request_id);
    if (!answer) return std::move(answer).error();
    return outcome_of(*answer, csr->public_key_der, "enrol");
  }

  signet::Result<signet::RevokeOutcome> revoke(const signet::RevokeRequest& request) override {
    if (request.serial_hex.empty() || request.serial_hex.size() > 64 ||
        request.serial_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return signet::make_error(signet::ErrorCode::invalid_argument, "revoke: the serial is not hexadecimal");
    auto answer = client_.call("POST", "/v1/certificates/" + request.serial_hex + "/revoke",
                               {{"reason", reason_name(request.reason)}}, request.request_id);
    if (!answer) return std::move(answer).error();
    // Revoking twice is not an error: a retry after a lost answer lands here.
    if (answer->status == 200 || (answer->status == 409 && remote_code(*answer) == "already_revoked"))
      return signet::RevokeOutcome(signet::Revoked{});
    return client_.error_of(*answer, "revoke");
  }

  signet::Result<std::vector<std::string>> chain() override {
    std::lock_guard lock(chain_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!chain_.empty() && now - chain_fetched_ < std::chrono::hours(1)) return chain_;
    auto answer = client_.call("GET", "/v1/ca/chain");
    if (!answer) return std::move(answer).error();
    if (answer->status != 200 || !answer->body.is_object() || !answer->body.value("chain", nlohmann::json()).is_string())
      return client_.error_of(*answer, "chain");
    auto ordered = ca_chain(signet::x509::pem_blocks(answer->body["chain"].get<std::string>()));
    if (!ordered) return std::move(ordered).error();
    chain_ = std::move(ordered).value();
    chain_fetched_ = now;
    return chain_;
  }

  // Cheap, as /ready wants: one short call, its verdict kept for 10 s.
  signet::Result<void> health() override {
    std::lock_guard lock(health_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (health_checked_.time_since_epoch().count() != 0 && now - health_checked_ < std::chrono::seconds(10))
      return health_;
    auto answer = client_.call("GET", "/v1/health", nullptr, "", std::chrono::milliseconds(2000));
    health_ = !answer ? signet::Result<void>(std::move(answer).error())
              : answer->status == 200 ? signet::Result<void>()
                                      : signet::Result<void>(client_.error_of(*answer, "health"));
    health_checked_ = now;
    return health_;
  }

 private:
  nlohmann::json enrolment_body(const signet::SignRequest& request) const {
    nlohmann::json body = {{"csr", request.csr_pem}, {"profile", profile_}, {"ttl_seconds", request.ttl.count()},
                           {"sans", {{"dns", request.sans.dns}, {"ip", request.sans.ip},
                                     {"email", request.sans.email}, {"uri", request.sans.uri}}}};
    if (!request.common_name.empty()) body["common_name"] = request.common_name;
    return body;
  }

  signet::Result<signet::SignOutcome> outcome_of(const RemoteAnswer& answer, const std::string& csr_key,
                                                 const std::string& operation) {
    const std::string status = answer.body.is_object() ? answer.body.value("status", "") : "";
    if (answer.status == 202 && status == "pending") {
      const std::string id = answer.body.value("id", "");
      if (!plausible_id(id))
        return signet::make_error(signet::ErrorCode::internal, operation + ": the remote CA's pending answer has no usable id");
      const auto hinted = std::chrono::seconds(answer.body.value("retry_after", 0));
      const auto wait = hinted.count() > 0 ? std::min(hinted, std::chrono::seconds(3600))
                        : answer.retry_after.count() > 0 ? answer.retry_after : client_.default_retry();
      return signet::SignOutcome(signet::Pending{id, wait});
    }
    if ((answer.status == 200 || answer.status == 201) && status == "issued") return issued(answer.body, csr_key, operation);
    return client_.error_of(answer, operation);
  }

  // The remote's word is checked, not taken: the certificate must be for the
  // CSR's key, and the chain is put in the order the host wants.
  signet::Result<signet::SignOutcome> issued(const nlohmann::json& body, const std::string& csr_key,
                                             const std::string& operation) {
    const std::string leaf = body.value("certificate", "");
    auto facts = signet::x509::certificate_facts(leaf);
    if (!facts) return signet::make_error(signet::ErrorCode::internal, operation + ": the remote CA returned no readable certificate");
    if (facts->public_key_der != csr_key)
      return signet::make_error(signet::ErrorCode::internal, operation + ": the remote CA returned a certificate for another key");
    auto chain = signet::x509::order_chain(leaf, signet::x509::pem_blocks(body.value("chain", "")));
    if (!chain) return signet::make_error(signet::ErrorCode::internal, operation + ": " + chain.error().message);
    return signet::SignOutcome(signet::IssuedCertificate{signet::x509::pem_blocks(leaf).at(0), std::move(chain).value()});
  }

  // The CA's own chain, issuing CA first and root last: start from the one
  // certificate in the bundle that issued none of the others.
  static signet::Result<std::vector<std::string>> ca_chain(const std::vector<std::string>& bundle) {
    for (const auto& candidate : bundle) {
      auto above = signet::x509::order_chain(candidate, bundle, true);
      if (!above) continue;
      if (above->size() + 1 != bundle.size() && !(above->empty() && bundle.size() == 1)) continue;
      std::vector<std::string> chain{candidate};
      chain.insert(chain.end(), above->begin(), above->end());
      return chain;
    }
    return signet::make_error(signet::ErrorCode::internal, "chain: the remote CA's bundle is not one chain");
  }

  static std::string remote_code(const RemoteAnswer& answer) {
    const auto& error = answer.body.is_object() ? answer.body.value("error", nlohmann::json()) : nlohmann::json();
    return error.is_object() ? error.value("code", "") : "";
  }

  RemoteClient client_;
  std::string profile_;
  std::mutex chain_mutex_;
  std::vector<std::string> chain_;
  std::chrono::steady_clock::time_point chain_fetched_;
  std::mutex health_mutex_;
  signet::Result<void> health_;
  std::chrono::steady_clock::time_point health_checked_;
};

signet::Result<std::unique_ptr<signet::CertificateAuthority>> make_ca(const signet::PluginContext& context) {
  const auto& c = context.config;
  RemoteConfig config;
  config.url = c.at("url").get<std::string>();
  while (config.url.ends_with("/")) config.url.pop_back();
  config.api_key = c.at("api_key").get<std::string>();
  config.ca_file = c.value("ca_file", "");
  config.timeout = std::chrono::milliseconds(c.value("timeout_ms", 10000));
  config.default_retry = std::chrono::seconds(c.value("default_retry_seconds", 10));
  if (!config.ca_file.empty() && !std::ifstream(config.ca_file))
    return signet::config_error("ca-remote: cannot read ca_file", "/ca_file", config.ca_file + ": cannot be read");
  if (config.api_key.find_first_of("\r\n") != std::string::npos)
    return signet::config_error("ca-remote: bad api_key", "/api_key", "must be one line");  // never quote it
  return std::unique_ptr<signet::CertificateAuthority>(
      std::make_unique<RemoteCa>(std::move(config), c.value("profile", "server"), context.services));
}

}  // namespace
}  // namespace ca_remote

// Revocation, and Pending for enrolments the remote holds for approval.
// Not `local` (it calls out of the process), not `crl`/`ocsp` (the remote
// keeps its key), not `manage` (Signet does not create this CA).
SIGNET_PLUGIN(signet::CertificateAuthority, "ca-remote", "1.0.0", ca_remote::kSchema,
              SIGNET_CAP_CA_REVOKE | SIGNET_CAP_CA_PENDING, ca_remote::make_ca)
