// Keyfactor Command: CSR enrolment through /Enrollment/CSR, a pending
// enrolment found again by its KeyfactorRequestId (never enrolled twice),
// revocation by Command's certificate id found by serial.
#include <algorithm>

#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <encoding/base64.hpp>
#include <encoding/url.hpp>
#include <jsonutil/fields.hpp>
#include <pkix/pem.hpp>
#include <signet/x509.hpp>

#include "api.hpp"

namespace signet::keyfactor {
namespace {

using nlohmann::json;

constexpr const char* kRequestKind = "command-request";
constexpr const char* kRevokeKind = "command-revoke";

using jsonutil::text_field;

long long number_of(const json& j, const char* key) { return jsonutil::int_field(j, key); }


// Command's SANs object: dns, ip4, ip6, uri (contract §3.2).
json sans_of(const SignRequest& request) {
  json sans = json::object();
  if (!request.sans.dns.empty()) sans["dns"] = request.sans.dns;
  std::vector<std::string> ip4, ip6;
  for (const auto& ip : request.sans.ip) (ip.find(':') == std::string::npos ? ip4 : ip6).push_back(ip);
  if (!ip4.empty()) sans["ip4"] = ip4;
  if (!ip6.empty()) sans["ip6"] = ip6;
  if (!request.sans.uri.empty()) sans["uri"] = request.sans.uri;
  if (!request.sans.email.empty()) sans["mail"] = request.sans.email;
  return sans;
}

std::optional<int> command_reason(RevocationReason reason) {
  const int code = static_cast<int>(reason);
  if (code >= 0 && code <= 6) return code;  // Command knows RFC 5280's 0..6
  return std::nullopt;
}

// A certificate's DER, "" when the PEM does not parse.
std::string der_of(const std::string& pem) {
  auto certificate = x509::detail::read_certificate(pem);
  if (!certificate) return {};
  unsigned char* out = nullptr;
  const int length = i2d_X509(certificate.value().get(), &out);
  if (length <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return der;
}

// The certificates of a PKCS#7 (P7B) bundle, PEM.
std::vector<std::string> p7b_certificates(const std::string& der) {
  std::vector<std::string> out;
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  PKCS7* p7 = d2i_PKCS7(nullptr, &in, static_cast<long>(der.size()));
  if (!p7) return out;
  if (PKCS7_type_is_signed(p7) && p7->d.sign && p7->d.sign->cert)
    for (int i = 0; i < sk_X509_num(p7->d.sign->cert); ++i) out.push_back(pkix::certificate_pem(sk_X509_value(p7->d.sign->cert, i)));
  PKCS7_free(p7);
  return out;
}

class CommandApi final : public CaApi {
 public:
  CommandApi(const KeyfactorConfig& config, Connection& connection, HostServices& services)
      : config_(config), c_(config.command), connection_(connection), services_(services) {}

  Result<SignOutcome> sign(const SignRequest& request) override {
    if (request.ticket.empty()) return enrol(request);
    const auto ticket = parse_ticket(request.ticket);
    if (!ticket || ticket->kind != kRequestKind) return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    return poll(request, *ticket);
  }

  Result<RevokeOutcome> revoke(const RevokeRequest& request) override {
    if (const auto ticket = parse_ticket(request.ticket); ticket && ticket->kind == kRevokeKind) return revoked_yet(*ticket);
    const auto reason = command_reason(request.reason);
    if (!reason) return make_error(ErrorCode::invalid_argument, "Keyfactor Command revokes with RFC 5280 reasons 0 to 6 only");
    auto found = this_certificate(request);
    if (!found) return std::move(found).error();
    if (!found.value()) return make_error(ErrorCode::not_found, "Keyfactor Command has no certificate with serial " + request.serial_hex);
    const json& certificate = *found.value();
    if (number_of(certificate, "CertState") == 2) return RevokeOutcome(Revoked{});  // revoked already
    const long long id = number_of(certificate, "Id");
    auto answer = connection_.call("POST", "/Certificates/Revoke",
                                   {{"CertificateIds", {id}}, {"Reason", *reason},
                                    {"Comment", "Revoked through Signet, request " + request.request_id},
                                    {"EffectiveDate", rfc3339_now(services_)}},
                                   common_headers());
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("POST Certificates/Revoke", *answer);
    // Revocations that wait on a Command workflow come back as SuspendedCerts.
    const json suspended = answer->body.is_object() ? answer->body.value("SuspendedCerts", json::array()) : json::array();
    if (suspended.is_array() && !suspended.empty())
      return RevokeOutcome(Pending{ticket_text({kRevokeKind, std::to_string(id), 0}), config_.poll_interval});
    // 204, or 200 naming the id in RevokedIds; otherwise Command says why in FailedOperations.
    const json revoked_ids = answer->body.is_object() ? answer->body.value("RevokedIds", json::array()) : json::array();
    if (answer->status == 204 || (revoked_ids.is_array() && std::find(revoked_ids.begin(), revoked_ids.end(), json(id)) != revoked_ids.end()))
      return RevokeOutcome(Revoked{});
    std::string why;
    for (const auto& failed : answer->body.is_object() ? answer->body.value("FailedOperations", json::array()) : json::array())
      why += (why.empty() ? "" : "; ") + text_field(failed, "Reason");
    return make_error(ErrorCode::rejected, "Keyfactor Command did not revoke certificate " + std::to_string(id) +
                                               (why.empty() ? "" : ": " + why));
  }

  Result<std::vector<std::string>> chain() override {
    {
      std::lock_guard lock(mutex_);
      if (!chain_.empty()) return chain_;
    }
    auto configured = chain_from_file(config_.chain_file);
    if (!configured) return configured;
    if (configured->empty())
      return make_error(ErrorCode::unavailable, "Keyfactor Command's CA chain is learned from the first certificate issued; "
                                                "set chain_file to know it before");
    std::lock_guard lock(mutex_);
    chain_ = configured.value();
    return chain_;
  }

  Result<void> check() override {
    auto answer = connection_.call("GET", "/Certificates?pq.returnLimit=1", nullptr, common_headers());
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("GET Certificates", *answer);
    return {};
  }

 private:
  Headers common_headers() const {
    return {{"x-keyfactor-requested-with", "APIClient"}, {"x-keyfactor-api-version", c_.api_version}};
  }

  Error failure(const std::string& what, const Answer& answer) const {
    const std::string message = text_field(answer.body, "Message");
    return connection_.failure("Keyfactor Command " + what, answer, text_field(answer.body, "ErrorCode"),
                               message.empty() ? answer.text.substr(0, 500) : message);
  }

  json metadata_of(const SignRequest& request) const {
    json metadata = json::object();
    if (!c_.request_id_field.empty()) metadata[c_.request_id_field] = request.request_id;
    for (const auto& [key, field] : c_.metadata_fields) {
      if (!request.metadata.is_object() || !request.metadata.contains(key)) continue;
      const json& value = request.metadata.at(key);
      metadata[field] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    return metadata;
  }

  Result<SignOutcome> enrol(const SignRequest& request) {
    // Command's template sets the lifetime: never issue longer than asked.
    if (c_.template_validity.count() > 0 && request.ttl.count() > 0 && request.ttl + std::chrono::minutes(5) < c_.template_validity)
      return make_error(ErrorCode::rejected, "Keyfactor Command's template issues certificates for " +
                                                 std::to_string(c_.template_validity.count() / 3600) +
                                                 " h; the request asks for less (" + std::to_string(request.ttl.count()) + " s)");
    // A rerun (a crash after Command issued, a retried call) finds the
    // certificate by Signet's request id in its metadata instead of enrolling again.
    if (!c_.request_id_field.empty()) {
      auto earlier = find(c_.request_id_field + " -eq \"" + request.request_id + "\"", "looking for an earlier enrolment");
      if (!earlier) return std::move(earlier).error();
      if (earlier.value()) return from_found(request, *earlier.value());
    }
    const auto chosen = c_.profile_templates.find(request.policy.profile);
    json body = {{"CSR", request.csr_pem},
                 {"Timestamp", rfc3339_now(services_)},
                 {"Template", chosen == c_.profile_templates.end() ? c_.template_name : chosen->second},
                 {"CertificateAuthority", c_.certificate_authority},
                 {"IncludeChain", true},
                 {"SANs", sans_of(request)},
                 {"Metadata", metadata_of(request)}};
    Headers headers = common_headers();
    headers.emplace_back("x-certificateformat", "PEM");
    auto answer = connection_.call("POST", "/Enrollment/CSR", body, headers);
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("POST Enrollment/CSR", *answer);
    const json info = answer->body.is_object() ? answer->body.value("CertificateInformation", json::object()) : json::object();
    const std::string disposition = upper_case(text_field(info, "RequestDisposition"));
    if (disposition == "ISSUED") return issued(request, info);
    const long long request_id = number_of(info, "KeyfactorRequestId");
    // Waiting for an approval or the CA: found again by its request id, never enrolled twice.
    if ((disposition == "EXTERNAL_VALIDATION" || disposition == "PENDING") && request_id > 0)
      return SignOutcome(Pending{ticket_text({kRequestKind, since_now(std::to_string(request_id), services_), 0}),
                                 config_.poll_interval});
    return make_error(ErrorCode::rejected, "Keyfactor Command did not issue the certificate: " +
                                               (disposition.empty() ? "no disposition" : disposition) +
                                               (text_field(info, "DispositionMessage").empty() ? "" : ": " + text_field(info, "DispositionMessage")));
  }

  Result<SignOutcome> issued(const SignRequest& request, const json& info) {
    std::vector<std::string> pems;
    for (const auto& item : info.value("Certificates", json::array()))
      if (item.is_string())
        for (auto& block : x509::pem_blocks(item.get<std::string>())) pems.push_back(std::move(block));
    if (pems.empty()) return make_error(ErrorCode::internal, "Keyfactor Command answered ISSUED without a certificate");
    remember_chain(pems);
    auto certificate = issued_for(request, pems.front(), pool_with(pems));
    if (!certificate) return std::move(certificate).error();
    return SignOutcome(std::move(certificate).value());
  }

  // The ticket's value: "<KeyfactorRequestId>@<Unix seconds of the enrolment>".
  Result<SignOutcome> poll(const SignRequest& request, const Ticket& ticket) {
    const std::string id = ticket.value.substr(0, ticket.value.find('@'));
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
      return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    auto found = find("CertRequestId -eq " + id, "looking for the certificate of request " + id);
    if (!found) return std::move(found).error();
    if (!found.value()) {
      if (waited_a_week(ticket.value, services_))
        return make_error(ErrorCode::rejected, "Keyfactor Command request " + id + " was not issued within a week");
      return SignOutcome(Pending{ticket_text({kRequestKind, ticket.value, ticket.polls + 1}), config_.poll_interval});
    }
    return from_found(request, *found.value());
  }


  // A certificate a query found: its DER, and the chain known or downloaded.
  Result<SignOutcome> from_found(const SignRequest& request, const json& found) {
    const auto der = encoding::base64_decode(text_field(found, "ContentBytes"));
    if (!der || der->empty()) return make_error(ErrorCode::internal, "Keyfactor Command's certificate has no ContentBytes");
    const std::string leaf = pkix::certificate_pem_from_der(*der);
    std::vector<std::string> pool = pool_with({leaf});
    if (!x509::order_chain(leaf, pool)) {
      auto downloaded = download_chain(number_of(found, "Id"));
      if (!downloaded) return std::move(downloaded).error();  // a passing outage: asked again later
      pool = std::move(downloaded).value();
    }
    auto certificate = issued_for(request, leaf, pool);
    if (!certificate) return std::move(certificate).error();
    return SignOutcome(std::move(certificate).value());
  }

  // The certificate being revoked, by serial and then by its very bytes:
  // serials are unique per CA only, and Command fronts several.
  Result<std::optional<json>> this_certificate(const RevokeRequest& request) {
    const auto blocks = x509::pem_blocks(request.certificate_pem);
    const std::string wanted = blocks.empty() ? std::string() : encoding::base64(der_of(blocks.front()));
    const std::string path = "/Certificates?pq.queryString=" +
                             encoding::url_encode("SerialNumber -eq \"" + upper_case(request.serial_hex) + "\"") +
                             "&pq.includeRevoked=true&pq.includeExpired=true&pq.returnLimit=50";
    auto answer = connection_.call("GET", path, nullptr, common_headers());
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("GET Certificates (finding the certificate to revoke)", *answer);
    if (!answer->body.is_array()) return std::optional<json>();
    for (const auto& candidate : answer->body)
      if (wanted.empty() || text_field(candidate, "ContentBytes") == wanted) return std::optional<json>(candidate);
    return std::optional<json>();
  }

  Result<RevokeOutcome> revoked_yet(const Ticket& ticket) {
    if (ticket.value.empty() || ticket.value.find_first_not_of("0123456789") != std::string::npos)
      return make_error(ErrorCode::internal, "the ticket is not ca-keyfactor's");
    auto found = find("Id -eq " + ticket.value, "looking at certificate " + ticket.value);
    if (!found) return std::move(found).error();
    if (found.value() && number_of(*found.value(), "CertState") == 2) return RevokeOutcome(Revoked{});
    return RevokeOutcome(Pending{ticket_text({kRevokeKind, ticket.value, ticket.polls + 1}), config_.poll_interval});
  }

  // The first certificate the query finds, revoked and expired ones included.
  Result<std::optional<json>> find(const std::string& query, const std::string& what) {
    const std::string path = "/Certificates?pq.queryString=" + encoding::url_encode(query) +
                             "&pq.includeRevoked=true&pq.includeExpired=true&pq.returnLimit=1";
    auto answer = connection_.call("GET", path, nullptr, common_headers());
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("GET Certificates (" + what + ")", *answer);
    if (!answer->body.is_array() || answer->body.empty()) return std::optional<json>();
    return std::optional<json>(answer->body.front());
  }

  // The chain through Certificates/Download as a P7B (contract §3.2).
  Result<std::vector<std::string>> download_chain(long long id) {
    Headers headers = common_headers();
    headers.emplace_back("x-certificateformat", "P7B");
    auto answer = connection_.call("POST", "/Certificates/Download",
                                   {{"CertID", id}, {"IncludeChain", true}, {"ChainOrder", "EndEntityFirst"}}, headers);
    if (!answer) return std::move(answer).error();
    if (!answer->ok()) return failure("POST Certificates/Download", *answer);
    const auto der = encoding::base64_decode(text_field(answer->body, "Content"));
    auto pems = der ? p7b_certificates(*der) : std::vector<std::string>{};
    remember_chain(pems);
    return pool_with(pems);
  }

  // The CA certificates among `pems` (a leaf first), kept for chain().
  void remember_chain(const std::vector<std::string>& pems) {
    if (pems.size() < 2) return;
    auto ordered = x509::order_chain(pems.front(), pems, true);
    if (!ordered || ordered->empty()) return;
    std::lock_guard lock(mutex_);
    chain_ = std::move(ordered).value();
  }

  std::vector<std::string> pool_with(std::vector<std::string> pems) {
    std::lock_guard lock(mutex_);
    pems.insert(pems.end(), chain_.begin(), chain_.end());
    if (auto configured = chain_from_file(config_.chain_file); configured)
      pems.insert(pems.end(), configured->begin(), configured->end());
    return pems;
  }

  const KeyfactorConfig& config_;
  const CommandConfig& c_;
  Connection& connection_;
  HostServices& services_;
  std::mutex mutex_;
  std::vector<std::string> chain_;  // guarded by mutex_: issuing CA first, root last
};

}  // namespace

std::unique_ptr<CaApi> make_command_api(const KeyfactorConfig& config, Connection& connection, HostServices& services) {
  return std::make_unique<CommandApi>(config, connection, services);
}

}  // namespace signet::keyfactor
