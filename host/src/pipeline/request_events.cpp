#include "pipeline/request_events.hpp"

#include <openssl/x509.h>
#include <pkix/openssl_ptr.hpp>
#include <pkix/pem.hpp>

#include "config/config.hpp"
#include "pipeline/issue_request.hpp"
#include "pipeline/revoke_request.hpp"
#include "util/ids.hpp"

namespace signet::host {
namespace {

OutboxEvent base_event(const RequestRecord& q, EventType type) {
  OutboxEvent event;
  event.type = type;
  // The same id on every rerun, so the outbox (and receivers) keep one.
  event.id = event_id(q.id + ":" + to_string(type));
  event.tenant_id = q.tenant_id;
  event.request_id = q.id;
  event.certificate_id = q.certificate_id;
  event.time = Clock::now();
  return event;
}

// What a certificate request asked for: the names and owner receivers route and display by.
nlohmann::json issue_data(const RequestRecord& q) {
  const IssueRequest in = issue_request_from(q.input);
  nlohmann::json data = {{"common_name", in.common_name}, {"profile", in.profile}, {"metadata", in.metadata},
                         {"service", in.service}};
  if (!in.renews.empty()) data["renews"] = in.renews;
  if (in.external_ref.is_object()) data["external_ref"] = in.external_ref;
  return data;
}

// What receivers file a certificate by (a ticket's attachment, a CMDB item):
// its PEM and chain, issuer DN (RFC 2253) and SHA-256 fingerprint. Never a key.
void add_certificate(nlohmann::json& data, const RequestRecord& q) {
  const bool recorded = !q.transient.certificate_pem.empty();
  const std::string& pem = recorded ? q.transient.certificate_pem : q.state.certificate_pem;
  data["chain"] = recorded ? q.transient.chain : q.state.chain;
  if (pem.empty()) return;  // recorded by an earlier run of this request
  data["certificate"] = pem;
  auto cert = pkix::read_certificate_pem(pem);
  if (!cert) return;
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert.value().get(), &der);
  if (size > 0) data["fingerprint_sha256"] = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), size));
  OPENSSL_free(der);
  pkix::BioPtr out(BIO_new(BIO_s_mem()));
  if (out && X509_NAME_print_ex(out.get(), X509_get_issuer_name(cert.value().get()), 0, XN_FLAG_RFC2253) >= 0) {
    char* text = nullptr;
    const long length = BIO_get_mem_data(out.get(), &text);
    data["issuer"] = std::string(text, static_cast<std::size_t>(length));
  }
}

}  // namespace

OutboxEvent request_event(const RequestRecord& q, const std::string& base) {
  const EventType type = q.operation == "renew"    ? EventType::renewed
                         : q.operation == "revoke" ? EventType::revoked
                                                   : EventType::issued;
  OutboxEvent event = base_event(q, type);
  if (type == EventType::revoked) {
    const RevokeInput in = revoke_input_from(q.input);
    event.data = {{"serial", q.state.serial}, {"reason", q.state.reason},
                  {"certificates", q.state.revoked},
                  {"service", in.targets.empty() ? "" : in.targets.front().service}};
    if (!in.targets.empty() && in.targets.front().external_ref.is_object())
      event.data["external_ref"] = in.targets.front().external_ref;
    return event;
  }
  event.data = issue_data(q);
  const IssueRequest in = issue_request_from(q.input);
  event.data["serial"] = q.state.serial;
  event.data["not_before"] = q.state.not_before;
  event.data["not_after"] = q.state.not_after;
  event.data["ca"] = q.state.ca;
  event.data["sans"] = {{"dns", in.dns}, {"ip", in.ip}, {"email", in.email}, {"uri", in.uri}};
  event.data["download_url"] = certificate_download_url(base, q.certificate_id);
  add_certificate(event.data, q);
  return event;
}

OutboxEvent request_failure_event(const RequestRecord& q) {
  OutboxEvent event = base_event(q, EventType::failed);
  nlohmann::json data = q.operation == "revoke" ? nlohmann::json::object() : issue_data(q);
  if (q.operation == "revoke") {
    const RevokeInput in = revoke_input_from(q.input);
    if (!in.targets.empty()) {
      event.certificate_id = in.targets.front().id;
      data["service"] = in.targets.front().service;
    }
  } else if (data.contains("renews")) {
    event.certificate_id = data["renews"];  // the certificate still in use
  } else {
    event.certificate_id.clear();  // nothing was issued
  }
  data["operation"] = q.operation;
  data["error"] = {{"code", q.error_code}, {"message", q.error_message}};
  event.data = std::move(data);
  return event;
}

}  // namespace signet::host
