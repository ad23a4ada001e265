// OCSP over HTTP (RFC 6960 Appendix A, RFC 5019 §5 and §6): POST with the
// DER request as the body, or GET with it base64-encoded in the path. Every
// answer is an OCSPResponse with HTTP 200, errors included; successful
// answers carry the caching headers RFC 5019 §6.2 describes.
#include <encoding/base64url.hpp>

#include "api/api.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// The DER in a GET path: the URL-encoding of the base64 of the request.
// Clients differ in what they percent-encode and in padding; the URL-safe
// alphabet is accepted too. "" when it is not base64.
std::string request_in_path(std::string_view target, std::string_view prefix) {
  target = target.substr(0, target.find('?'));
  if (target.size() <= prefix.size()) return "";
  std::string text;
  for (char c : percent_decode(target.substr(prefix.size()), false)) {
    if (c == '=') continue;
    text += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  if (text.size() > 2 * kOcspMaxRequest) return "";
  return encoding::base64url_decode(text);
}

HttpResponseMessage ocsp_http_response(const OcspAnswer& answer, const RequestContext& context, const OcspResponder& ocsp) {
  const OcspResponseBytes& r = *answer.response;
  HttpResponseMessage response{http::status::ok, 11};
  response.set(http::field::content_type, "application/ocsp-response");
  if (!r.successful || !answer.cacheable) {
    response.set(http::field::cache_control, "no-store");
    response.body() = r.der;
    return response;
  }
  response.set(http::field::cache_control, ocsp.cache_control());
  response.set(http::field::etag, r.etag);
  response.set(http::field::last_modified, to_http_date(r.this_update));
  response.set(http::field::expires, to_http_date(r.next_update));
  if (context.message.method() == http::verb::get && context.message[http::field::if_none_match] == r.etag)
    response.result(http::status::not_modified);
  else
    response.body() = r.der;
  return response;
}

// A CA that publishes its own status: the client is sent to its responder
// (307 keeps the method and body of a POST).
std::optional<HttpResponseMessage> answered_elsewhere(const RequestContext& context, const PkiDependencies& deps) {
  const PluginInstance* instance = deps.instances.find(context.param("ca"));
  if (!instance || !(instance->capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS)) return std::nullopt;
  auto urls = deps.instances.ca(instance->name)->published_status();
  if (!urls || urls.value().ocsp.empty()) return std::nullopt;
  HttpResponseMessage response{http::status::temporary_redirect, 11};
  response.set(http::field::location, urls.value().ocsp);
  return response;
}

HttpResponseMessage ocsp(RequestContext& context, const PkiDependencies& deps, std::string_view request) {
  if (auto elsewhere = answered_elsewhere(context, deps)) return std::move(*elsewhere);
  const OcspAnswer answer = deps.ocsp.answer(context.param("ca"), request);
  return ocsp_http_response(answer, context, deps.ocsp);
}

// "/pki/<ca>/ocsp" (tail empty) or "/pki/<ca>/ocsp/<tail>": the CA; "" for other paths.
std::string_view ocsp_ca(std::string_view target, std::string_view& tail) {
  constexpr std::string_view kPki = "/pki/", kOcsp = "/ocsp";
  if (target.substr(0, kPki.size()) != kPki || target.find('?') != std::string_view::npos) return {};
  const std::size_t slash = target.find('/', kPki.size());
  if (slash == std::string_view::npos || target.substr(slash, kOcsp.size()) != kOcsp) return {};
  tail = target.substr(slash + kOcsp.size());
  if (!tail.empty() && tail.front() != '/') return {};
  return target.substr(kPki.size(), slash - kPki.size());
}

}  // namespace

FastPath ocsp_fast_path(const OcspResponder& responder) {
  return [&responder](const RequestHead& head, std::string_view body) -> std::optional<FastAnswer> {
    if (!head.if_none_match.empty()) return std::nullopt;  // a 304 is the Router's
    std::string_view tail;
    const std::string_view ca = ocsp_ca(head.target, tail);
    if (ca.empty()) return std::nullopt;
    std::string from_path;
    if (head.method == "GET" && tail.size() > 1) from_path = request_in_path(head.target, head.target.substr(0, head.target.size() - tail.size() + 1));
    else if (head.method != "POST" || !tail.empty()) return std::nullopt;
    auto cached = responder.cached_answer(ca, from_path.empty() ? body : std::string_view(from_path));
    if (!cached) return std::nullopt;
    return FastAnswer{cached->http_head, cached->der, cached};
  };
}

void add_ocsp_routes(Router& router, PkiDependencies deps) {
  const RouteOptions open{.permission = {}, .open = true};
  router.add(http::verb::post, "/pki/{ca}/ocsp",
             [deps](RequestContext& c) { return ocsp(c, deps, c.message.body()); }, open);
  router.add(http::verb::get, "/pki/{ca}/ocsp/{*request}", [deps](RequestContext& c) {
    const std::string der = request_in_path(std::string_view(c.message.target().data(), c.message.target().size()), "/pki/" + c.param("ca") + "/ocsp/");
    return ocsp(c, deps, der);
  }, open);
}

}  // namespace signet::host
