// GET /v1/certificates/{id}/bundle: the certificate, its CA chain and, when
// the host made it, the private key, in JSON, PEM, ZIP or PKCS#12.
#include "api/api.hpp"
#include "api/held_keys.hpp"
#include "pki/bundle_formats.hpp"
#include "pki/ca_chain.hpp"
#include <pkix/pem.hpp>

namespace signet::host {
namespace {

using nlohmann::json;

// The PKCS#12 password: a header keeps it out of URLs that proxies log;
// ?password= is accepted as API.md documents it.
std::string p12_password(const RequestContext& c) {
  const auto header = c.message.find("X-Signet-Bundle-Password");
  if (header != c.message.end()) return std::string(header->value());
  return c.query_value("password");
}

HttpResponseMessage download(http::status status, std::string body, const std::string& type, const std::string& file) {
  auto response = text_response(status, std::move(body), type);
  response.set(http::field::content_disposition, "attachment; filename=\"" + file + "\"");
  return response;
}

// GET /v1/certificates/{id} gives the chain without the root; the bundle adds it.
std::vector<std::string> ca_chain_of(const CertificateRow& row, const ApiDependencies& deps) {
  return chain_with_root(pkix::certificate_pem_blocks(row.chain_pem), row.certificate_pem, deps.instances.ca(row.ca).get());
}

HttpResponseMessage bundle(RequestContext& context, const ApiDependencies& deps) {
  const std::string format = context.query_value("format").empty() ? "json" : context.query_value("format");
  if (format != "json" && format != "pem" && format != "zip" && format != "p12")
    return error_response({"invalid_request", "format must be json, pem, zip or p12"}, context.request_id);
  const std::string password = format == "p12" ? p12_password(context) : "";
  if (format == "p12" && password.empty())
    return error_response({"invalid_request", "a p12 bundle needs a password (header X-Signet-Bundle-Password or ?password=)"},
                          context.request_id);
  auto found = certificate_in_tenant(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  const CertificateRow& row = std::get<CertificateRow>(found);
  BundleParts parts{row.certificate_pem, ca_chain_of(row, deps), {}, row.common_name.empty() ? row.id : row.common_name};
  if (!row.key_store.empty()) {
    auto key = held_private_key(deps.instances, row.key_store, row.key_path);
    if (!key) return error_response(host_error(key.error()), context.request_id);
    parts.private_key_pem = std::move(key).value();
  }
  if (format == "pem") return download(http::status::ok, pem_bundle(parts), "application/x-pem-file", row.id + ".pem");
  if (format == "zip" || format == "p12") {
    auto packed = format == "zip" ? zip_bundle(parts) : pkcs12_bundle(parts, password);
    if (!packed) return error_response(host_error(packed.error()), context.request_id);
    return format == "zip" ? download(http::status::ok, std::move(packed).value(), "application/zip", row.id + ".zip")
                           : download(http::status::ok, std::move(packed).value(), "application/x-pkcs12", row.id + ".p12");
  }
  const json key = parts.private_key_pem.empty() ? json(nullptr) : json(parts.private_key_pem);
  return json_response(http::status::ok,
                       {{"certificate", parts.certificate_pem}, {"private_key", key}, {"ca_chain", parts.ca_chain_pem}});
}

}  // namespace

void add_bundle_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/certificates/{id}/bundle", [deps](RequestContext& c) { return bundle(c, deps); },
             {.permission = "cert:export"});
}

}  // namespace signet::host
