// Unauthenticated PKI distribution: /pki/cas and /pki/{ca}/chain.pem.
#include "api/api.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

std::shared_ptr<CertificateAuthority> ca_named(const ApiDependencies& deps, const std::string& name) {
  return deps.instances.ca(name);
}

HttpResponseMessage chain_pem(RequestContext& context, const ApiDependencies& deps) {
  auto ca = ca_named(deps, context.param("ca"));
  if (!ca) return error_response({"not_found", "no CA " + context.param("ca")}, context.request_id);
  auto chain = ca->chain();
  if (!chain) return error_response(api_error(chain.error()), context.request_id);
  std::string text;
  for (const auto& pem : chain.value()) text += pem;
  auto response = text_response(http::status::ok, std::move(text), "application/pem-certificate-chain");
  response.set(http::field::cache_control, "public, max-age=300");
  return response;
}

HttpResponseMessage list_cas(RequestContext& context, const ApiDependencies& deps) {
  json items = json::array();
  for (const auto& i : deps.instances.all()) {
    if (i.kind != PluginKind::ca) continue;
    items.push_back({{"name", i.name}, {"plugin", i.plugin}, {"chain_url", "/pki/" + i.name + "/chain.pem"}});
  }
  (void)context;
  return json_response(http::status::ok, {{"items", std::move(items)}});
}

}  // namespace

void add_pki_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/pki/cas", [deps](RequestContext& c) { return list_cas(c, deps); }, {.permission = {}, .open = true});
  router.add(http::verb::get, "/pki/{ca}/chain.pem", [deps](RequestContext& c) { return chain_pem(c, deps); },
             {.permission = {}, .open = true});
}

}  // namespace signet::host
