#include "app/host_app.hpp"

#include <fsutil/files.hpp>

#include "util/ids.hpp"

namespace signet::host {
namespace {

// The passphrase of dev mode's software keys: made once, kept 0600 beside them.
std::string dev_key_passphrase(const std::string& data_dir) {
  const std::string path = data_dir + "/keys.passphrase";
  if (auto existing = fsutil::read_file(path); existing && !existing.value().empty()) return existing.value();
  const std::string passphrase = random_base64url(32);
  (void)fsutil::make_private_directory(data_dir);
  (void)fsutil::write_file_atomically(path, passphrase, 0600);  // a failure shows when the keys cannot be read
  return passphrase;
}

InstanceConfig dev_instance(const std::string& name, PluginKind kind, const std::string& plugin, YAML::Node config) {
  InstanceConfig i;
  i.name = name;
  i.kind = kind;
  i.plugin = plugin;
  i.config = std::move(config);
  return i;
}

// The software key provider, an internal CA (root + issuing) and the
// embedded secret store for keys made here, all made on first start.
void add_dev_ca(Config& c) {
  YAML::Node keys;
  keys["dir"] = c.data_dir + "/keys";
  keys["passphrase"] = dev_key_passphrase(c.data_dir);
  YAML::Node ca;
  ca["keys"] = "keys";
  ca["dir"] = c.data_dir + "/ca/internal";
  ca["root"]["common_name"] = "Signet Dev Root CA";
  ca["issuing"]["common_name"] = "Signet Dev Issuing CA";
  c.instances.push_back(dev_instance("keys", PluginKind::keys, "keys-software", keys));
  c.instances.push_back(dev_instance("internal", PluginKind::ca, "ca-internal", ca));
  YAML::Node store;
  store["path"] = c.data_dir + "/secrets.db";
  store["master_key"]["file"] = c.data_dir + "/store.key";
  store["master_key"]["create"] = true;
  c.instances.push_back(dev_instance("local", PluginKind::store, "store-local", store));
  PipelineConfig issue;
  issue.validate = {"profile-policy"};
  issue.sign = "internal";
  issue.store = "local";
  c.pipelines["issue"] = issue;
  c.pipelines["renew"] = issue;
}

// What ../docs/api.md promises for dev mode: the default profile allows
// localhost and names under .test, .internal, .example.com, .example.org,
// IP SANs, the usual key types, TTLs from 10 s to 90 days.
ProfileConfig dev_profile() {
  ProfileConfig p;
  p.name = "default";
  p.key_types = {{"ecdsa", 2048, 4096, {"P-256", "P-384"}}, {"rsa", 2048, 4096, {}}, {"ed25519", 2048, 4096, {}}};
  p.min_ttl = std::chrono::seconds(10);
  p.max_ttl = std::chrono::hours(24 * 90);
  p.default_ttl = std::chrono::hours(24 * 30);
  p.dns_suffixes = {"localhost", ".test", ".internal", ".example.com", ".example.org"};
  p.allow_ip = true;
  p.allow_uri = true;  // spiffe:// identities of applications
  p.key_usage = {"digital_signature", "key_encipherment"};
  p.extended_key_usage = {"server_auth", "client_auth"};
  p.auto_renew = true;
  return p;
}

}  // namespace

// The HTTPS port + 1 (a free port when the HTTPS one is picked freely).
std::string next_port(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return listen;
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) return listen;
  const int value = std::stoi(port);
  return listen.substr(0, colon + 1) + std::to_string(value == 0 ? 0 : value + 1);
}

void use_dev_database(Config& c, const std::string& url) {
  c.database_url = url;
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) return;
  for (auto& instance : c.instances) {
    if (instance.name != "local" || instance.kind != PluginKind::store) continue;
    YAML::Node store;
    store["url"] = url;
    store["master_key"] = instance.config["master_key"];
    instance.plugin = "store-postgres";
    instance.config = store;
  }
}

Config dev_config(const std::string& data_dir, const std::string& listen) {
  Config c;
  c.file = "(dev mode)";
  c.data_dir = data_dir;
  c.database_url = "sqlite://" + data_dir + "/signet.db";
  c.server.listen = listen;
  c.revocation.listen = next_port(listen);  // --pki-listen overrides it
  c.server.tls.mode = TlsConfig::Mode::automatic;
  // Applications present certificates of the dev CA: spiffe://<tenant>/<service>.
  c.server.tls.client_auth.mode = ClientAuthConfig::Mode::optional;
  c.server.tls.client_auth.trust_ca = "internal";
  c.plugin_dirs = {default_plugin_dir()};
  c.profiles.push_back(dev_profile());
  add_dev_ca(c);
  return c;
}

}  // namespace signet::host
