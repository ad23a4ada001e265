#include "app/front_setup.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <fsutil/files.hpp>

#include "http/server.hpp"
#include "tls/ca_issued.hpp"

namespace signet::host {

RateLimits rate_limits(const ServerConfig& server) {
  auto limiter = [](const RateLimitConfig& c) {
    return c.rate > 0 ? std::make_shared<RateLimiter>(c.rate, c.burst) : nullptr;
  };
  return {limiter(server.per_source), limiter(server.per_principal)};
}

Result<std::vector<std::string>> client_anchors(const ClientAuthConfig& c, const PluginInstances& instances) {
  if (c.mode == ClientAuthConfig::Mode::off) return std::vector<std::string>{};
  if (!c.trust_file.empty()) {
    auto text = fsutil::read_file(c.trust_file);
    if (!text) return make_error(ErrorCode::invalid_config, "server.tls.client_auth.trust_file: " + text.error().message);
    return std::vector<std::string>{text.value()};
  }
  auto chain = instances.ca(c.trust_ca)->chain();
  if (!chain) return make_error(chain.error().code, "server.tls.client_auth.trust_ca " + c.trust_ca + ": " + chain.error().message);
  return chain.value();
}

namespace {

Result<void> prepare_automatic_tls(const Config& config, const PluginInstances& instances, const std::string& tenant) {
  const auto issue = config.pipelines.find("issue");
  if (config.server.tls.mode != TlsConfig::Mode::automatic || issue == config.pipelines.end()) return {};
  const PluginInstance* ca = instances.find(issue->second.sign);
  if (ca == nullptr || !(ca->capabilities & SIGNET_CAP_CA_MANAGE)) return {};
  HostCertificateRequest request{config.data_dir, ca->name, tenant, {"localhost"}, {"127.0.0.1", "::1"}};
  std::string host;
  unsigned short port = 0;
  if (split_host_port(config.server.listen, host, port) && host != "localhost" && host != "0.0.0.0" && host != "::") {
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(host, ec);
    auto& names = ec ? request.dns : request.ip;
    if (std::find(names.begin(), names.end(), host) == names.end()) names.push_back(host);
  }
  return ensure_ca_issued_certificate(*instances.ca(ca->name), request, Clock::now());
}

}  // namespace

Result<void> prepare_tls(const Config& config, const PluginInstances& instances, const std::string& tenant,
                         signet::Logger& log) {
  auto prepared = prepare_automatic_tls(config, instances, tenant);
  if (prepared || prepared.error().code != ErrorCode::rejected) return prepared;
  log.warn("the CA refused the host's TLS certificate; using a self-signed one", {{"error", prepared.error().message}});
  return {};
}

}  // namespace signet::host
