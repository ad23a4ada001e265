// Unauthenticated PKI distribution under /pki: the list of CAs, each CA's
// chain and certificate, and its CRLs (RFC 5280 §5). Served on the HTTPS
// listener and on the plain-HTTP revocation listener: relying parties fetch
// revocation status over plain HTTP (fetching it over HTTPS would need
// revocation status first).
#include "api/api.hpp"
#include "pki/certificate_info.hpp"
#include "pki/status_urls.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// CRLs change within a second of a revocation: caches may keep one a
// minute, not until its nextUpdate.
constexpr const char* kCrlCacheControl = "public, max-age=60, no-transform";

HttpResponseMessage chain_pem(RequestContext& context, const PkiDependencies& deps) {
  auto ca = deps.instances.ca(context.param("ca"));
  if (!ca) return error_response({"not_found", "no CA " + context.param("ca")}, context.request_id);
  auto chain = ca->chain();
  if (!chain) return error_response(host_error(chain.error()), context.request_id);
  std::string text;
  for (const auto& pem : chain.value()) text += pem;
  auto response = text_response(http::status::ok, std::move(text), "application/pem-certificate-chain");
  response.set(http::field::cache_control, "public, max-age=300");
  return response;
}

// The issuing certificate in DER (RFC 5280 §4.2.2.1: what id-ad-caIssuers points to).
HttpResponseMessage ca_certificate(RequestContext& context, const PkiDependencies& deps) {
  auto ca = deps.instances.ca(context.param("ca"));
  if (!ca) return error_response({"not_found", "no CA " + context.param("ca")}, context.request_id);
  auto chain = ca->chain();
  if (!chain) return error_response(host_error(chain.error()), context.request_id);
  std::string body = chain.value().empty() ? "" : certificate_der_of(chain.value().front());
  if (body.empty()) return error_response({"internal", "the CA's chain holds no certificate"}, context.request_id);
  auto response = text_response(http::status::ok, std::move(body), "application/pkix-cert");
  response.set(http::field::cache_control, "public, max-age=300");
  return response;
}

std::optional<int> shard_of(const RequestContext& context) {
  const std::string text = context.param("shard");
  if (text.empty()) return 0;
  if (text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(text);
}

// A CA that publishes its own status: the client is sent there.
std::optional<HttpResponseMessage> published_elsewhere(RequestContext& context, const PkiDependencies& deps) {
  const PluginInstance* instance = deps.instances.find(context.param("ca"));
  if (!instance || !(instance->capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS)) return std::nullopt;
  auto urls = deps.instances.ca(instance->name)->published_status();
  if (!urls || urls.value().crl.empty())
    return error_response({"not_found", "CA " + instance->name + " publishes no CRL"}, context.request_id);
  HttpResponseMessage response{http::status::found, 11};
  response.set(http::field::location, urls.value().crl);
  return response;
}

HttpResponseMessage crl(RequestContext& context, const PkiDependencies& deps, bool delta, bool pem) {
  if (auto elsewhere = published_elsewhere(context, deps)) return std::move(*elsewhere);
  const std::string ca = context.param("ca");
  const auto shard = shard_of(context);
  const auto published = shard && deps.crls.publishes(ca) ? deps.crls.current({ca, *shard}, delta) : nullptr;
  if (!published)
    return error_response({"not_found", "no " + std::string(delta ? "delta CRL" : "CRL") + " at " + context.path},
                          context.request_id);
  const std::string etag = "\"" + std::to_string(published->number) + "\"";
  HttpResponseMessage response{http::status::ok, 11};
  if (context.message[http::field::if_none_match] == etag) {
    response.result(http::status::not_modified);
  } else {
    response.set(http::field::content_type, pem ? "application/x-pem-file" : "application/pkix-crl");
    response.body() = pem ? published->pem() : published->der;
  }
  response.set(http::field::etag, etag);
  response.set(http::field::last_modified, to_http_date(published->this_update));
  response.set(http::field::expires, to_http_date(published->next_update));
  response.set(http::field::cache_control, kCrlCacheControl);
  return response;
}

HttpResponseMessage list_cas(RequestContext& context, const PkiDependencies& deps) {
  json items = json::array();
  const std::string base = deps.revocation.base_url;
  for (const auto& i : deps.instances.all()) {
    if (i.kind != PluginKind::ca) continue;
    json item{{"name", i.name}, {"plugin", i.plugin}, {"subject", nullptr}, {"not_after", nullptr},
              {"chain_url", "/pki/" + i.name + "/chain.pem"}, {"crl_url", nullptr}, {"ocsp_url", nullptr}};
    // The issuing certificate's subject and end, as the CA reports its chain now.
    if (auto chain = deps.instances.ca(i.name)->chain(); chain && !chain.value().empty()) {
      item["subject"] = subject_of(chain.value().front());
      if (auto info = read_certificate(chain.value().front())) item["not_after"] = to_rfc3339(info.value().not_after);
    }
    if (i.capabilities & SIGNET_CAP_CA_PUBLISHES_STATUS) {
      if (auto urls = deps.instances.ca(i.name)->published_status()) {
        item["crl_url"] = urls.value().crl.empty() ? json(nullptr) : json(urls.value().crl);
        item["ocsp_url"] = urls.value().ocsp.empty() ? json(nullptr) : json(urls.value().ocsp);
      }
    } else {
      if (deps.crls.publishes(i.name)) item["crl_url"] = base + crl_path(i.name, 0, false);
      if (deps.ocsp.answers_for(i.name)) item["ocsp_url"] = base + "/pki/" + i.name + "/ocsp";
    }
    items.push_back(std::move(item));
  }
  (void)context;
  return json_response(http::status::ok, {{"items", std::move(items)}});
}

}  // namespace

void add_pki_routes(Router& router, PkiDependencies deps) {
  const RouteOptions open{.permission = {}, .open = true};
  add_ocsp_routes(router, deps);
  router.add(http::verb::get, "/pki/cas", [deps](RequestContext& c) { return list_cas(c, deps); }, open);
  router.add(http::verb::get, "/pki/{ca}/chain.pem", [deps](RequestContext& c) { return chain_pem(c, deps); }, open);
  router.add(http::verb::get, "/pki/{ca}/ca.crt", [deps](RequestContext& c) { return ca_certificate(c, deps); }, open);
  for (const bool delta : {false, true}) {
    const std::string path = delta ? "/delta-crl" : "/crl";
    router.add(http::verb::get, "/pki/{ca}" + path, [deps, delta](RequestContext& c) { return crl(c, deps, delta, false); }, open);
    router.add(http::verb::get, "/pki/{ca}" + path + ".pem",
               [deps, delta](RequestContext& c) { return crl(c, deps, delta, true); }, open);
    router.add(http::verb::get, "/pki/{ca}" + path + "/{shard}",
               [deps, delta](RequestContext& c) { return crl(c, deps, delta, false); }, open);
  }
}

}  // namespace signet::host
