#include "pki/status_urls.hpp"

namespace signet::host {

std::string crl_path(const std::string& ca, int shard, bool delta) {
  return "/pki/" + ca + (delta ? "/delta-crl" : "/crl") + (shard == 0 ? "" : "/" + std::to_string(shard));
}

StatusUrls status_urls_for(const RevocationConfig& config, const std::string& ca, int shard, bool ocsp) {
  if (config.base_url.empty()) return {};
  return {config.base_url + crl_path(ca, shard, false), ocsp ? config.base_url + "/pki/" + ca + "/ocsp" : "",
          config.base_url + "/pki/" + ca + "/ca.crt"};
}

int crl_shard_for(const RevocationConfig& config, const std::string& request_id) {
  if (config.crl_shards <= 1) return 0;
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a: the same on every host and build
  for (unsigned char c : request_id) hash = (hash ^ c) * 1099511628211ULL;
  return 1 + static_cast<int>(hash % static_cast<std::uint64_t>(config.crl_shards));
}

}  // namespace signet::host
