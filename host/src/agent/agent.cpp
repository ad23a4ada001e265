#include "agent/agent.hpp"

#include <algorithm>

#include <pkix/csr.hpp>
#include <pkix/keys.hpp>
#include <pkix/pem.hpp>

namespace signet::host {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// The answer's body when it is a success, else an error saying what the host answered.
Result<json> success(Result<ApiAnswer> answer, const std::string& what) {
  if (!answer) return make_error(answer.error().code, what + ": " + answer.error().message);
  if (answer->status < 200 || answer->status > 299)
    return make_error(ErrorCode::rejected, what + ": " + answer->error_text());
  return std::move(answer->body);
}

// A key like the certificate's own: same algorithm, size or curve.
Result<pkix::EvpPkeyPtr> key_like(const std::string& cert_pem) {
  auto certs = pkix::read_certificates_pem(cert_pem);
  if (!certs || certs.value().empty()) return make_error(ErrorCode::invalid_argument, "the host sent no certificate");
  const EVP_PKEY* key = X509_get0_pubkey(certs.value().front().get());
  if (key == nullptr) return make_error(ErrorCode::invalid_argument, "the certificate's public key is unreadable");
  return pkix::generate_key({pkix::key_type_name(key), EVP_PKEY_get_bits(key), pkix::curve_of(key)});
}

pkix::CsrNames names_of(const json& view) {
  pkix::CsrNames names;
  names.common_name = view.value("common_name", "");
  const json sans = view.value("sans", json::object());
  for (auto [kind, list] : {std::pair{"dns", &names.dns}, {"ip", &names.ip}, {"email", &names.email}, {"uri", &names.uri}})
    for (const auto& name : sans.value(kind, json::array())) list->push_back(name.get<std::string>());
  return names;
}

std::string chain_of(const json& bundle) {
  std::string chain;
  for (const auto& pem : bundle.value("ca_chain", json::array())) chain += pem.get<std::string>();
  return chain;
}

}  // namespace

// The agent's own certificate is its identity once it has one; the token
// (if any) serves the first download and a certificate that lapsed.
Result<ApiAnswer> CertificateAgent::ask(const std::string& method, const std::string& path, const json& body) {
  const bool has_identity = files_.installed().has_value();
  if (has_identity) {
    api_.use_client_certificate(files_.cert_file(), files_.key_file());
  } else if (!api_.use_token()) {
    return make_error(ErrorCode::unauthenticated, options_.out_dir +
                                                      " holds no certificate and key to authenticate with yet: give "
                                                      "--token (or SIGNET_TOKEN) for the first download");
  }
  auto answer = api_.send(method, path, body);
  if (answer && answer->status == 401 && has_identity && api_.use_token()) answer = api_.send(method, path, body);
  if (answer)
    if (auto date = parse_http_date(answer->date)) host_now_ = *date;
  return answer;
}

Result<json> CertificateAgent::current() {
  auto view = success(ask("GET", "/v1/certificates/" + options_.certificate_id + "/current"),
                      "cannot look up certificate " + options_.certificate_id);
  if (!view) return view;
  if (view->value("status", "") == "revoked")
    return make_error(ErrorCode::rejected, "certificate " + view->value("id", "") + " is revoked (" +
                                               view->value("revocation_reason", "") + "): nothing to renew");
  return view;
}

Error CertificateAgent::write_error(const Error& e) const {
  return make_error(e.code, "cannot write into " + options_.out_dir + ": " + e.message);
}

// With `key`, or the host's key when it made and holds it, or a key on
// disk that fits (ours, from a renewal that crashed before its install).
Result<bool> CertificateAgent::install(const std::string& id, const std::string& cert_pem, std::optional<std::string> key) {
  auto bundle = success(ask("GET", "/v1/certificates/" + id + "/bundle"), "cannot download certificate " + id);
  if (!bundle) return std::move(bundle).error();
  if (!key && bundle->value("private_key", json()).is_string()) key = bundle->at("private_key").get<std::string>();
  if (auto info = read_certificate(cert_pem); !key && info) key = files_.key_for(info->key_sha256);
  if (!key) return false;
  if (auto done = files_.install(cert_pem, *key, chain_of(bundle.value())); !done) return write_error(done.error());
  return true;
}

// A key made here and kept as pending before the request leaves (or the
// pending key of an earlier attempt, so that whichever attempt is issued
// has a key on disk), and a CSR with the same names: the host refuses
// other names on a renewal.
Result<CertificateAgent::Renewal> CertificateAgent::renew(const json& view) {
  const std::string id = view.value("id", "");
  std::string key_pem = files_.pending_key().value_or("");
  if (key_pem.empty()) {
    auto made = key_like(view.value("certificate", ""));
    if (!made) return std::move(made).error();
    key_pem = pkix::private_key_pem(made.value().get());
    if (auto kept = files_.keep_pending_key(key_pem); !kept) return write_error(kept.error());
  }
  auto key = pkix::read_private_key_pem(key_pem, "");
  if (!key) return std::move(key).error();
  const std::string csr = pkix::make_csr_pem(key.value().get(), names_of(view));
  if (csr.empty()) return make_error(ErrorCode::internal, "cannot make a CSR for " + id);
  auto answer = ask("POST", "/v1/certificates/" + id + "/renew", {{"csr", csr}});
  if (answer && answer->status == 409 && answer->error_code() == "already_renewed") return Renewal::renewed_elsewhere;
  if (answer && answer->status == 409 && answer->error_code() == "renewal_in_progress") return Renewal::waiting;
  const int status = answer ? answer->status : 0;
  auto issued = success(std::move(answer), "cannot renew " + id);
  if (!issued) return std::move(issued).error();
  if (status == 202) return Renewal::waiting;  // an approval or a remote CA; installed once issued
  auto done = install(issued->value("id", ""), issued->value("certificate", ""), key_pem);
  if (!done) return std::move(done).error();
  return Renewal::installed;
}

milliseconds CertificateAgent::until_due(const CertificateInfo& installed) const {
  TimePoint issued = installed.not_before;
  if (installed.serial_hex == current_serial_) issued = std::max(issued, current_issued_at_);
  const auto lifetime = std::chrono::duration_cast<milliseconds>(installed.not_after - issued);
  const milliseconds before = options_.renew_before.value_or(lifetime / 3);
  const TimePoint now = host_now_ == TimePoint{} ? Clock::now() : host_now_;
  const auto left = std::chrono::duration_cast<milliseconds>(installed.not_after - now) - before;
  return std::max(left, milliseconds(0));
}

PassReport CertificateAgent::run_pass() {
  PassReport report;
  bool renewed = false;
  // Twice at most: what a first round installed or renewed is judged in the
  // second; a renewal someone else made meanwhile is installed there.
  for (int round = 0; round < 2; ++round) {
    auto view = current();
    if (!view) return {false, report.changed, view.error().message};
    current_serial_ = view->value("serial", "");
    current_issued_at_ = parse_rfc3339(view->value("created_at", "")).value_or(TimePoint{});
    const auto installed = files_.installed();
    if (!installed || installed->serial_hex != view->value("serial", "")) {
      auto done = install(view->value("id", ""), view->value("certificate", ""), std::nullopt);
      if (!done) return {false, report.changed, done.error().message};
      report.changed = report.changed || done.value();
      if (done.value()) continue;
    } else if (renewed || until_due(*installed) > milliseconds(0)) {
      break;
    }
    // Due, or no key for the current certificate anywhere: renew it.
    auto renewal = renew(view.value());
    if (!renewal) return {false, report.changed, renewal.error().message};
    if (renewal.value() == Renewal::waiting) {
      report.message = "the renewal of " + view->value("id", "") + " is not issued yet";
      break;
    }
    renewed = renewal.value() == Renewal::installed;
    report.changed = report.changed || renewed;
  }
  if (const auto installed = files_.installed()) report.until_due = until_due(*installed);
  return report;
}

}  // namespace signet::host
