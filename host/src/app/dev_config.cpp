#include "app/host_app.hpp"

namespace signet::host {

// What ../docs/api.md promises for dev mode: the default profile allows
// localhost and names under .test, .internal, .example.com, .example.org,
// IP SANs, the usual key types, TTLs from 10 s to 90 days.
Config dev_config(const std::string& data_dir, const std::string& listen) {
  Config c;
  c.file = "(dev mode)";
  c.data_dir = data_dir;
  c.database_url = "sqlite://" + data_dir + "/signet.db";
  c.server.listen = listen;
  c.server.tls.mode = TlsConfig::Mode::automatic;
  c.plugin_dirs = {default_plugin_dir()};
  ProfileConfig p;
  p.name = "default";
  p.key_types = {{"ecdsa", 2048, 4096, {"P-256", "P-384"}}, {"rsa", 2048, 4096, {}}, {"ed25519", 2048, 4096, {}}};
  p.min_ttl = std::chrono::seconds(10);
  p.max_ttl = std::chrono::hours(24 * 90);
  p.default_ttl = std::chrono::hours(24 * 30);
  p.dns_suffixes = {"localhost", ".test", ".internal", ".example.com", ".example.org"};
  p.allow_ip = true;
  p.key_usage = {"digital_signature", "key_encipherment"};
  p.extended_key_usage = {"server_auth", "client_auth"};
  p.auto_renew = true;
  c.profiles.push_back(p);
  return c;
}

}  // namespace signet::host
