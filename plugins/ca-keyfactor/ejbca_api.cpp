// EJBCA's REST API v1: pkcs10enroll (201 issued, 202 waiting for approval
// and then finalized, never enrolled twice), revocation by issuer DN and
// serial (409, already revoked, is done), the CA chain by the CA's name.
#include <openssl/x509.h>

#include <array>

#include <encoding/base64.hpp>
#include <encoding/url.hpp>
#include <jsonutil/fields.hpp>
#include <pkix/der.hpp>
#include <pkix/pem.hpp>
#include <signet/x509.hpp>

#include "api.hpp"

namespace signet::keyfactor {
namespace {

using nlohmann::json;

constexpr const char* kApprovalKind = "ejbca-approval";

using jsonutil::text_field;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}


const char* ejbca_reason(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::unspecified: return "UNSPECIFIED";
    case RevocationReason::key_compromise: return "KEY_COMPROMISE";
    case RevocationReason::ca_compromise: return "CA_COMPROMISE";
    case RevocationReason::affiliation_changed: return "AFFILIATION_CHANGED";
    case RevocationReason::superseded: return "SUPERSEDED";
    case RevocationReason::cessation_of_operation: return "CESSATION_OF_OPERATION";
    case RevocationReason::certificate_hold: return "CERTIFICATE_HOLD";
    case RevocationReason::privilege_withdrawn: return "PRIVILEGES_WITHDRAWN";
    case RevocationReason::aa_compromise: return "AA_COMPROMISE";
  }
  return "UNSPECIFIED";
}

// A DN as EJBCA writes it (CertTools): the most specific RDN first,
// "CN=...,O=...,C=SE", with , = + " \ < > ; in values escaped by a backslash.
std::string ejbca_dn(const X509_NAME* name) {
  std::string out;
  for (int i = X509_NAME_entry_count(name) - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const char* label = nid == NID_pkcs9_emailAddress ? "E" : OBJ_nid2sn(nid);
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) continue;
    std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    std::string escaped;
    for (const char c : value) {
      if (std::string_view(",=+\"\\<>;").find(c) != std::string_view::npos) escaped += '\\';
      escaped += c;
    }
    out += (out.empty() ? "" : ",") + std::string(label) + "=" + escaped;
  }
  return out;
}

// Two DNs as EJBCA writes them, alike but for case and spaces after separators.
bool ejbca_dn_equal(const std::string& a, const std::string& b) {
  auto normal = [](const std::string& dn) {
    std::string out;
    for (std::size_t i = 0; i < dn.size(); ++i) {
      if (dn[i] == ' ' && !out.empty() && out.back() == ',' && (out.size() < 2 || out[out.size() - 2] != '\\')) continue;
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(dn[i])));
    }
    return out;
  };
  return normal(a) == normal(b);
}

Result<std::string> issuer_dn_of(const std::string& certificate_pem) {
  auto bio = x509::detail::memory(certificate_pem);
  X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!certificate) return make_error(ErrorCode::invalid_argument, "the certificate to revoke does not parse");
  std::string dn = ejbca_dn(X509_get_issuer_name(certificate));
  X509_free(certificate);
  return dn;
}

// EJBCA's validity override: "yyyy-MM-dd HH:mm:ss" in UTC (RFC 3339 is refused).
std::string ejbca_end_time(std::chrono::system_clock::time_point when) { return utc_text(when, "%Y-%m-%d %H:%M:%S"); }


// The approval id in a 202's link ".../v1/certificate/<id>/finalize".
std::string approval_id(const std::string& link) {
  const std::string tail = "/finalize";
  if (link.size() <= tail.size() || link.compare(link.size() - tail.size(), tail.size(), tail) != 0) return {};
  const std::string head = link.substr(0, link.size() - tail.size());
  const std::string id = head.substr(head.rfind('/') + 1);
  return !id.empty() && id.find_first_not_of("0123456789") == std::string::npos ? id : std::string();
}

// base64 DER (EJBCA's response_format DER) as PEM; "" when it is not.
std::string pem_of(const json& base64_der) {
  if (!base64_der.is_string()) return {};
  const auto der = encoding::base64_decode(base64_der.get<std::string>());
  return der && !der->empty() ? pkix::certificate_pem_from_der(*der) : std::string();
}

class EjbcaApi final : public CaApi {
 public:
  EjbcaApi(const KeyfactorConfig& config, Connection& connection, HostServices& services)
      : config_(config), e_(config.ejbca), connection_(connection), services_(services) {}

  Result<SignOutcome> sign(const SignRequest& request) override {
    if (request.ticket.empty()) return enrol(request);
    const auto ticket = parse_ticket(request.ticket);
    if (!ticket || ticket->kind != kApprovalKind) return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    return finalize(request, *ticket);
  }

  Result<RevokeOutcome> revoke(const RevokeRequest& request) override {
    auto issuer = issuer_dn_for(request.certificate_pem);
    if (!issuer) return std::move(issuer).error();
    // No `date`: EJBCA refuses one ahead of its clock, and backdating needs a profile that allows it.
    const std::string path = "/v1/certificate/" + encoding::url_encode(issuer.value()) + "/" + upper_case(request.serial_hex) +
                             "/revoke?reason=" + ejbca_reason(request.reason);
    auto answer = connection_.call("PUT", path);
    if (!answer) return std::move(answer).error();
    if (answer->ok() || answer->status == 409) return RevokeOutcome(Revoked{});  // 409: revoked already
    return failure("PUT certificate/.../revoke", *answer);
  }

  Result<std::vector<std::string>> chain() override {
    {
      std::lock_guard lock(mutex_);
      if (!chain_.empty()) return chain_;
    }
    auto configured = chain_from_file(config_.chain_file);
    if (!configured) return configured;
    std::vector<std::string> chain = std::move(configured).value();
    if (chain.empty()) {
      auto downloaded = download_chain();
      if (!downloaded) return downloaded;
      chain = std::move(downloaded).value();
    }
    std::lock_guard lock(mutex_);
    chain_ = chain;
    return chain_;
  }

  // GET /v1/ca needs a role, as certificate/status does not: it shows Signet's credentials work.
  Result<void> check() override {
    auto answer = connection_.call("GET", "/v1/ca");
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("GET ca", *answer);
    return {};
  }

 private:
  Error failure(const std::string& what, const Answer& answer) const {
    std::string code;
    if (answer.body.is_object() && answer.body.contains("error_code")) code = answer.body["error_code"].dump();
    const std::string message = text_field(answer.body, "error_message");
    return connection_.failure("EJBCA " + what, answer, code, message.empty() ? answer.text.substr(0, 500) : message);
  }

  const EjbcaProfiles& profiles_for(const std::string& profile) const {
    const auto chosen = e_.by_profile.find(profile);
    return chosen == e_.by_profile.end() ? e_.profiles : chosen->second;
  }

  // One end entity per request: a rerun enrols the same username again
  // rather than making a second end entity.
  std::string username_of(const SignRequest& request) const { return e_.username_prefix + request.request_id; }

  std::string enrolment_code() {
    std::array<std::uint8_t, 16> bytes{};
    services_.random().fill(bytes);
    return pkix::to_hex({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  }

  Result<SignOutcome> enrol(const SignRequest& request) {
    // A rerun (a crash after EJBCA issued, a retried call) finds the
    // certificate of this request's end entity instead of enrolling again.
    auto earlier = earlier_certificate(request);
    if (!earlier) return std::move(earlier).error();
    if (earlier.value()) return issued(request, *earlier.value());
    const EjbcaProfiles& profiles = profiles_for(request.policy.profile);
    const std::string password = enrolment_code();
    json body = {{"certificate_request", request.csr_pem},
                 {"certificate_profile_name", profiles.certificate_profile},
                 {"end_entity_profile_name", profiles.end_entity_profile},
                 {"certificate_authority_name", e_.ca_name},
                 {"username", username_of(request)},
                 {"password", password},
                 {"include_chain", true},
                 {"response_format", "DER"}};  // EJBCA CE takes DER or PKCS7 here, not PEM
    // The lifetime asked for, where the certificate profile allows a validity override.
    if (request.ttl.count() > 0) body["end_time"] = ejbca_end_time(services_.clock().now() + request.ttl);
    auto answer = connection_.call("POST", "/v1/certificate/pkcs10enroll", body);
    if (!answer) return std::move(answer).error();
    if (answer->status == 202) {
      const std::string id = approval_id(text_field(answer->body, "link"));
      if (id.empty()) return make_error(ErrorCode::internal, "EJBCA's 202 names no finalize link");
      // The enrolment code goes with the ticket: finalize needs it.
      return SignOutcome(Pending{ticket_text({kApprovalKind, since_now(id + "|" + password, services_), 0}), config_.poll_interval});
    }
    if (answer->status != 201 && answer->status != 200) return failure("POST certificate/pkcs10enroll", *answer);
    return issued(request, answer->body);
  }

  Result<SignOutcome> finalize(const SignRequest& request, const Ticket& ticket) {
    const auto bar = ticket.value.find('|');
    if (bar == std::string::npos) return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    const std::string id = ticket.value.substr(0, bar);
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    const std::string password = ticket.value.substr(bar + 1, ticket.value.rfind('@') - bar - 1);
    auto answer = connection_.call("POST", "/v1/certificate/" + id + "/finalize",
                                   {{"response_format", "DER"}, {"password", password}});
    if (!answer) return std::move(answer).error();
    if (answer->status == 201 || answer->status == 200) return issued(request, answer->body);
    const std::string message = lower(text_field(answer->body, "error_message") + text_field(answer->body, "info_message"));
    const bool waiting = answer->status == 202 || (answer->status == 400 && message.find("wait") != std::string::npos);
    if (!waiting) {
      // Finalized already (its 201 lost to a timeout or a crash): the certificate is the end entity's.
      if (answer->status < 500) {
        auto earlier = earlier_certificate(request);
        if (!earlier) return std::move(earlier).error();
        if (earlier.value()) return issued(request, *earlier.value());
      }
      return failure("POST certificate/" + id + "/finalize", *answer);
    }
    if (waited_a_week(ticket.value, services_))
      return make_error(ErrorCode::rejected, "EJBCA approval " + id + " was not given within a week");
    return SignOutcome(Pending{ticket_text({kApprovalKind, ticket.value, ticket.polls + 1}), config_.poll_interval});
  }

  // The certificate EJBCA already made for this request's end entity, if any.
  Result<std::optional<json>> earlier_certificate(const SignRequest& request) {
    auto answer = connection_.call("POST", "/v1/certificate/search",
                                   {{"max_number_of_results", 10},
                                    {"criteria", {{{"property", "QUERY"}, {"value", username_of(request)}, {"operation", "EQUAL"}}}}});
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("POST certificate/search", *answer);
    const json found = answer->body.is_object() ? answer->body.value("certificates", json::array()) : json::array();
    if (!found.is_array() || found.empty()) return std::optional<json>();
    return std::optional<json>(found.front());
  }

  Result<SignOutcome> issued(const SignRequest& request, const json& body) {
    const std::string leaf = pem_of(body.is_object() ? body.value("certificate", json()) : json());
    if (leaf.empty()) return make_error(ErrorCode::internal, "EJBCA answered without a certificate in DER");
    std::vector<std::string> pool;
    const json items = body.is_object() ? body.value("certificate_chain", json::array()) : json::array();
    for (const auto& item : items) {
      const std::string pem = pem_of(item);
      if (!pem.empty()) pool.push_back(pem);
    }
    if (pool.empty()) {  // finalize returns no chain
      auto known = chain();
      if (!known) return std::move(known).error();
      pool = std::move(known).value();
    }
    auto certificate = issued_for(request, leaf, pool);
    if (!certificate) return std::move(certificate).error();
    return SignOutcome(std::move(certificate).value());
  }

  // GET /v1/ca names each CA's subject DN; the chain is downloaded by it.
  Result<std::vector<std::string>> download_chain() {
    auto subject_dn = ca_subject_dn();
    if (!subject_dn) return std::move(subject_dn).error();
    auto answer = connection_.call("GET", "/v1/ca/" + encoding::url_encode(subject_dn.value()) + "/certificate/download");
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("GET ca/.../certificate/download", *answer);
    auto blocks = x509::pem_blocks(answer->text);
    if (blocks.empty()) return make_error(ErrorCode::internal, "EJBCA's CA certificate download holds no certificate");
    auto ordered = x509::order_chain(blocks.front(), blocks, true);
    if (!ordered) return make_error(ErrorCode::internal, "EJBCA's CA chain: " + ordered.error().message);
    std::vector<std::string> chain{blocks.front()};
    chain.insert(chain.end(), ordered->begin(), ordered->end());
    return chain;
  }

  // The issuer DN as EJBCA itself writes it: the configured CA's subject_dn
  // from GET /v1/ca when it issued the certificate, else written here.
  Result<std::string> issuer_dn_for(const std::string& certificate_pem) {
    auto computed = issuer_dn_of(certificate_pem);
    if (!computed) return computed;
    auto listed = ca_subject_dn();
    if (listed && ejbca_dn_equal(listed.value(), computed.value())) return listed;
    return computed;
  }

  // The configured CA's subject DN, as GET /v1/ca names it (kept once known).
  Result<std::string> ca_subject_dn() {
    {
      std::lock_guard lock(mutex_);
      if (!subject_dn_.empty()) return subject_dn_;
    }
    auto listed = connection_.call("GET", "/v1/ca");
    if (!listed) return std::move(listed).error();
    if (!listed->ok()) return failure("GET ca", *listed);
    std::string subject_dn;
    for (const auto& ca : listed->body.is_object() ? listed->body.value("certificate_authorities", json::array()) : json::array())
      if (text_field(ca, "name") == e_.ca_name) subject_dn = text_field(ca, "subject_dn");
    if (subject_dn.empty()) return make_error(ErrorCode::not_found, "EJBCA has no CA named " + e_.ca_name);
    std::lock_guard lock(mutex_);
    subject_dn_ = subject_dn;
    return subject_dn;
  }

  const KeyfactorConfig& config_;
  const EjbcaConfig& e_;
  Connection& connection_;
  HostServices& services_;
  std::mutex mutex_;
  std::vector<std::string> chain_;  // guarded by mutex_
  std::string subject_dn_;          // guarded by mutex_
};

}  // namespace

std::unique_ptr<CaApi> make_ejbca_api(const KeyfactorConfig& config, Connection& connection, HostServices& services) {
  return std::make_unique<EjbcaApi>(config, connection, services);
}

}  // namespace signet::keyfactor
