#include "awspca_ca.hpp"

#include <encoding/base64.hpp>

#include <ctime>

#include <openssl/evp.h>
#include <signet/x509.hpp>

#include "templates.hpp"

namespace signet::awspca {
namespace {

// Validity END_DATE: GeneralizedTime digits as a number (YYYYMMDDHHMMSS).
long long end_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char digits[16];
  std::strftime(digits, sizeof digits, "%Y%m%d%H%M%S", &tm);
  return std::stoll(digits);
}

std::optional<std::string> aws_reason(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::unspecified: return "UNSPECIFIED";
    case RevocationReason::key_compromise: return "KEY_COMPROMISE";
    case RevocationReason::ca_compromise: return "CERTIFICATE_AUTHORITY_COMPROMISE";
    case RevocationReason::affiliation_changed: return "AFFILIATION_CHANGED";
    case RevocationReason::superseded: return "SUPERSEDED";
    case RevocationReason::cessation_of_operation: return "CESSATION_OF_OPERATION";
    case RevocationReason::privilege_withdrawn: return "PRIVILEGE_WITHDRAWN";
    case RevocationReason::aa_compromise: return "A_A_COMPROMISE";
    case RevocationReason::certificate_hold: return std::nullopt;  // AWS has no hold
  }
  return std::nullopt;
}

// The ticket: the certificate's ARN and how often it was polled ("<arn>#3").
struct Ticket {
  std::string arn;
  int polls = 0;
};

std::optional<Ticket> parse_ticket(const std::string& text) {
  const auto hash = text.rfind('#');
  if (hash == std::string::npos || text.rfind("arn:", 0) != 0) return std::nullopt;
  try {
    return Ticket{text.substr(0, hash), std::stoi(text.substr(hash + 1))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The ticket of a request that waits for a slot under requests_per_second.
const char* const kQueued = "queued";

Pending pending(const std::string& arn, int polls) { return Pending{arn + "#" + std::to_string(polls), poll_delay(polls)}; }

bool is_throttle(const std::string& type) {
  return type == "ThrottlingException" || type == "Throttling" || type == "TooManyRequestsException" ||
         type == "RequestLimitExceeded" || type == "RequestThrottled" || type == "SlowDown";
}

}  // namespace

std::string colon_serial(const std::string& serial_hex) {
  std::string hex = serial_hex;
  if (hex.size() % 2) hex.insert(hex.begin(), '0');
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += (out.empty() ? "" : ":") + std::string{static_cast<char>(std::tolower(hex[i])), static_cast<char>(std::tolower(hex[i + 1]))};
  return out;
}

std::chrono::seconds poll_delay(int polls) { return std::chrono::seconds(std::min(30, 1 << std::min(polls / 2, 5))); }

std::string idempotency_token(const std::string& request_id) {
  const bool fits = !request_id.empty() && request_id.size() <= 36 &&
                    std::all_of(request_id.begin(), request_id.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
  return fits ? request_id : sha256_hex(request_id).substr(0, 36);
}

AwsPrivateCa::AwsPrivateCa(AwspcaConfig config, HostServices& services, Getenv getenv)
    : config_(std::move(config)),
      services_(services),
      endpoint_{config_.endpoint, config_.region, "acm-pca", config_.ca_file, config_.proxy, config_.timeout},
      credentials_(CredentialContext{services.http(), services.clock(), config_.region, config_.sts_endpoint,
                                     config_.ca_file, config_.proxy, std::move(getenv)},
                   config_.credentials),
      rate_(config_.requests_per_second) {}

Result<AwsAnswer> AwsPrivateCa::call(const std::string& operation, const nlohmann::json& body) {
  for (int attempt = 1;; ++attempt) {
    auto credentials = credentials_.get();
    if (!credentials) return make_error(credentials.error().code, operation + ": " + credentials.error().message);
    auto answer = call_json(services_.http(), endpoint_, credentials.value(), "ACMPrivateCA." + operation, body,
                            services_.clock().now());
    if (!answer) return make_error(answer.error().code, operation + ": " + answer.error().message);
    // Temporary credentials that expired early: fetch fresh ones, once.
    if (attempt == 1 && answer->error_type == "ExpiredTokenException") {
      credentials_.invalidate();
      continue;
    }
    return answer;
  }
}

Error AwsPrivateCa::error_of(const std::string& operation, const AwsAnswer& answer) const {
  const std::string& type = answer.error_type;
  ErrorCode code = ErrorCode::internal;
  if (is_throttle(type) || type == "ConcurrentModificationException") code = ErrorCode::rate_limited;
  else if (answer.status >= 500 || type == "InternalFailure" || type == "ServiceUnavailable") code = ErrorCode::unavailable;
  // A quota (certificates per CA), not throttling: retrying cannot help (contract §1.8).
  else if (type == "LimitExceededException" || type == "InvalidStateException" || type == "RequestFailedException") code = ErrorCode::rejected;
  else if (type == "MalformedCSRException" || type == "InvalidArgsException" || type == "InvalidArnException" ||
           type == "InvalidRequestException" || type == "ValidationException") code = ErrorCode::invalid_argument;
  else if (type == "AccessDeniedException") code = ErrorCode::permission_denied;
  else if (type == "UnrecognizedClientException" || type == "InvalidSignatureException" || type == "ExpiredTokenException" ||
           type == "MissingAuthenticationTokenException" || type == "IncompleteSignature") code = ErrorCode::unauthenticated;
  else if (type == "ResourceNotFoundException") code = ErrorCode::not_found;
  Error error = make_error(code, operation + ": AWS " + type + (answer.error_message.empty() ? "" : ": " + answer.error_message));
  if (error.retryable()) {
    // Jittered, so many requests throttled together do not return together.
    std::uint8_t jitter = 0;
    services_.random().fill({&jitter, 1});
    error.retry_after = std::chrono::seconds(1 + jitter % 4);
  }
  services_.logger().warn("ca-awspca: AWS refused a call", {{"operation", operation}, {"aws_error", type},
                                                           {"status", answer.status}, {"request_id", answer.request_id}});
  return error;
}

Result<CaDescription> AwsPrivateCa::description(bool fresh) {
  {
    std::lock_guard lock(mutex_);
    if (description_ && !fresh && std::chrono::steady_clock::now() - described_at_ < std::chrono::minutes(5)) return *description_;
  }
  auto slot = within_rate("DescribeCertificateAuthority");
  if (!slot) return std::move(slot).error();
  auto answer = call("DescribeCertificateAuthority", {{"CertificateAuthorityArn", config_.ca_arn}});
  if (!answer) return std::move(answer).error();
  if (!answer->ok()) return error_of("DescribeCertificateAuthority", *answer);
  const auto ca = answer->body.value("CertificateAuthority", nlohmann::json::object());
  const auto configuration = ca.value("CertificateAuthorityConfiguration", nlohmann::json::object());
  CaDescription d{ca.value("Status", ""), configuration.value("KeyAlgorithm", ""), configuration.value("SigningAlgorithm", ""), {}};
  const auto revocation = ca.value("RevocationConfiguration", nlohmann::json::object());
  const auto crl = revocation.value("CrlConfiguration", nlohmann::json::object());
  if (crl.value("Enabled", false)) {
    const std::string host = !crl.value("CustomCname", "").empty()
                                 ? crl.value("CustomCname", "")
                                 : crl.value("S3BucketName", "") + ".s3." + config_.region + ".amazonaws.com";
    const std::string path = crl.value("CustomPath", "crl");
    d.status_urls.crl = "http://" + host + "/" + path + "/" + config_.ca_id + ".crl";
  }
  const auto ocsp = revocation.value("OcspConfiguration", nlohmann::json::object());
  if (ocsp.value("Enabled", false))
    d.status_urls.ocsp = !ocsp.value("OcspCustomCname", "").empty() ? "http://" + ocsp.value("OcspCustomCname", "")
                                                                   : "http://ocsp.acm-pca." + config_.region + ".amazonaws.com";
  std::lock_guard lock(mutex_);
  description_ = d;
  described_at_ = std::chrono::steady_clock::now();
  return d;
}

Result<RateLimit::Slot> AwsPrivateCa::within_rate(const std::string& operation) {
  if (auto slot = rate_.take()) return std::move(*slot);
  Error error = make_error(ErrorCode::rate_limited, operation + ": over the instance's requests_per_second (" +
                                                        std::to_string(config_.requests_per_second) + ")");
  error.retry_after = std::chrono::seconds(1);
  return error;
}

Result<SignOutcome> AwsPrivateCa::sign(const SignRequest& request) {
  auto csr = x509::csr_facts(request.csr_pem);
  if (!csr) return std::move(csr).error();
  const bool issued = request.ticket.rfind("arn:", 0) == 0;
  // The signing algorithm comes from the CA's description (a call of its
  // own, cached) when the config does not name one; asked before this
  // call's slot so that a rate of 1 does not starve it.
  if (!issued && config_.signing_algorithm.empty())
    if (auto described = description(); !described) return std::move(described).error();
  // Over the instance's rate the request waits its turn without a call to
  // AWS and without spending one of the host's attempts. The slot is held
  // until AWS has answered.
  auto slot = within_rate(issued ? "GetCertificate" : "IssueCertificate");
  if (!slot) return SignOutcome(Pending{issued ? request.ticket : kQueued, std::chrono::seconds(1)});
  // With an ARN IssueCertificate already happened: never call it again.
  if (issued) return poll(request, csr->public_key_der);
  return issue(request);
}

Result<SignOutcome> AwsPrivateCa::issue(const SignRequest& request) {
  const auto chosen = config_.profile_templates.find(request.policy.profile);
  const std::string name = chosen == config_.profile_templates.end() ? config_.template_name : chosen->second;
  if (auto refusal = template_refusal(name, request.policy)) return make_error(ErrorCode::rejected, *refusal);
  if (request.ttl.count() <= 0) return make_error(ErrorCode::invalid_argument, "IssueCertificate: the lifetime must be positive");
  std::string algorithm = config_.signing_algorithm;
  if (algorithm.empty()) {
    auto described = description();
    if (!described) return std::move(described).error();
    algorithm = described->signing_algorithm;
  }
  nlohmann::json body = {
      {"CertificateAuthorityArn", config_.ca_arn},
      {"Csr", encoding::base64(request.csr_pem)},
      {"SigningAlgorithm", algorithm},
      {"Validity", {{"Type", "END_DATE"}, {"Value", end_date(services_.clock().now() + request.ttl)}}},
      {"TemplateArn", chosen == config_.profile_templates.end() ? config_.template_arn : template_arn(config_.partition, name)},
      {"IdempotencyToken", idempotency_token(request.request_id)}};
  if (takes_passthrough(name)) body["ApiPassthrough"] = api_passthrough(request);
  auto answer = call("IssueCertificate", body);
  if (!answer) return std::move(answer).error();
  if (!answer->ok()) return error_of("IssueCertificate", *answer);
  const std::string arn = answer->body.value("CertificateArn", "");
  if (arn.rfind("arn:", 0) != 0) return make_error(ErrorCode::internal, "IssueCertificate: AWS answered without a CertificateArn");
  // Pending at once: the host saves the ARN as the ticket before anything
  // else happens, so a crash, a retry or another host polls this
  // certificate instead of asking for another (aws-privateca-issuer#479).
  return SignOutcome(pending(arn, 0));
}

Result<SignOutcome> AwsPrivateCa::poll(const SignRequest& request, const std::string& csr_key) {
  const auto ticket = parse_ticket(request.ticket);
  if (!ticket) return make_error(ErrorCode::internal, "GetCertificate: the ticket is not this plugin's");
  auto answer = call("GetCertificate", {{"CertificateAuthorityArn", config_.ca_arn}, {"CertificateArn", ticket->arn}});
  if (!answer) return std::move(answer).error();
  if (answer->error_type == "RequestInProgressException") return SignOutcome(pending(ticket->arn, ticket->polls + 1));
  // A certificate just asked for may not be visible everywhere yet.
  if (answer->error_type == "ResourceNotFoundException" && ticket->polls < 3) return SignOutcome(pending(ticket->arn, ticket->polls + 1));
  if (!answer->ok()) return error_of("GetCertificate", *answer);
  // AWS sends the leaf without a trailing newline and the root last.
  const auto leaf = x509::pem_blocks(answer->body.value("Certificate", ""));
  if (leaf.empty()) return make_error(ErrorCode::internal, "GetCertificate: AWS answered without a certificate");
  auto facts = x509::certificate_facts(leaf.front());
  if (!facts || facts->public_key_der != csr_key)
    return make_error(ErrorCode::internal, "GetCertificate: the certificate of " + ticket->arn + " is not for this request's key");
  auto ordered = x509::order_chain(leaf.front(), x509::pem_blocks(answer->body.value("CertificateChain", "")));
  if (!ordered) return make_error(ErrorCode::internal, "GetCertificate: " + ordered.error().message);
  return SignOutcome(IssuedCertificate{leaf.front(), std::move(ordered).value()});
}

Result<RevokeOutcome> AwsPrivateCa::revoke(const RevokeRequest& request) {
  const auto reason = aws_reason(request.reason);
  if (!reason)
    return make_error(ErrorCode::invalid_argument,
                      "AWS Private CA has no certificate hold (RFC 5280 certificateHold); revoke with another reason");
  if (request.serial_hex.empty() || request.serial_hex.size() > 64 ||
      request.serial_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return make_error(ErrorCode::invalid_argument, "RevokeCertificate: the serial is not hexadecimal");
  auto slot = within_rate("RevokeCertificate");
  if (!slot) return std::move(slot).error();
  auto answer = call("RevokeCertificate", {{"CertificateAuthorityArn", config_.ca_arn},
                                           {"CertificateSerial", colon_serial(request.serial_hex)},
                                           {"RevocationReason", *reason}});
  if (!answer) return std::move(answer).error();
  // Already revoked: what a repeated request wanted is done.
  if (answer->ok() || answer->error_type == "RequestAlreadyProcessedException") return RevokeOutcome(Revoked{});
  if (answer->error_type == "RequestInProgressException") return RevokeOutcome(Pending{"revoke#1", std::chrono::seconds(2)});
  return error_of("RevokeCertificate", *answer);
}

Result<std::vector<std::string>> AwsPrivateCa::chain() {
  {
    std::lock_guard lock(mutex_);
    if (!chain_.empty()) return chain_;
  }
  auto slot = within_rate("GetCertificateAuthorityCertificate");
  if (!slot) return std::move(slot).error();
  auto answer = call("GetCertificateAuthorityCertificate", {{"CertificateAuthorityArn", config_.ca_arn}});
  if (!answer) return std::move(answer).error();
  if (!answer->ok()) return error_of("GetCertificateAuthorityCertificate", *answer);
  const auto own = x509::pem_blocks(answer->body.value("Certificate", ""));
  if (own.empty()) return make_error(ErrorCode::internal, "GetCertificateAuthorityCertificate: AWS answered without a certificate");
  auto above = x509::order_chain(own.front(), x509::pem_blocks(answer->body.value("CertificateChain", "")), true);
  if (!above) return make_error(ErrorCode::internal, "GetCertificateAuthorityCertificate: " + above.error().message);
  std::vector<std::string> chain{own.front()};
  chain.insert(chain.end(), above->begin(), above->end());
  std::lock_guard lock(mutex_);
  chain_ = chain;
  return chain;
}

Result<StatusUrls> AwsPrivateCa::published_status() {
  auto described = description();
  if (!described) return std::move(described).error();
  return described->status_urls;
}

Result<void> AwsPrivateCa::health() {
  auto described = description();
  if (!described) return std::move(described).error();
  if (described->status != "ACTIVE")
    return make_error(ErrorCode::unavailable, "AWS Private CA " + config_.ca_arn + " is " + described->status + ", not ACTIVE");
  return {};
}

}  // namespace signet::awspca
