// The host configuration: one YAML file (docs/configuration.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "rbac/roles.hpp"
#include "config/issues.hpp"
#include "config/profile_set.hpp"
#include "config/ui_section.hpp"

namespace signet::host {

using std::chrono::milliseconds;

// Client certificates as identities (mTLS): who may present one, and how
// it maps to a principal.
struct ClientAuthConfig {
  enum class Mode { off, optional, required };  // required: no request without a valid one
  enum class Identity { uri, cn };              // spiffe://<tenant>/<service> URI SAN, or the CN as service
  Mode mode = Mode::off;
  std::string trust_ca;    // a CA instance whose chain anchors client certificates
  std::string trust_file;  // or a PEM file of anchors
  Identity identity = Identity::uri;
  std::string tenant = "default";  // the tenant of CN identities
  std::vector<std::string> roles = {"service_account"};
  int line = 0;
};

struct TlsConfig {
  enum class Mode { files, automatic, disabled };
  Mode mode = Mode::automatic;
  std::string cert_file;
  std::string key_file;
  ClientAuthConfig client_auth;
};

struct LimitsConfig {
  std::uint64_t max_body_bytes = 1 << 20;
  std::uint64_t max_header_bytes = 16 << 10;
  milliseconds read_timeout{10'000};   // a whole request must arrive within it
  milliseconds idle_timeout{60'000};   // keep-alive connections close after it
  std::uint64_t max_connections = 4096;
};

// Requests a second and burst; rate 0 turns the limit off.
struct RateLimitConfig {
  int rate = 0;
  int burst = 0;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8443";
  TlsConfig tls;
  LimitsConfig limits;
  RateLimitConfig per_source{1000, 2000};    // before authentication, by address
  RateLimitConfig per_principal{500, 1000};  // after it, by token or certificate identity
  int io_threads = 1;
  // How clients reach this host (answers' download_url); "" for https://<listen>.
  std::string public_url;
};

// How clients reach this host: server.public_url, or https://<listen>.
inline std::string public_base(const ServerConfig& server) {
  return server.public_url.empty() ? "https://" + server.listen : server.public_url;
}

// Where a certificate is downloaded as PEM (answers' and events' download_url).
inline std::string certificate_download_url(const std::string& base, const std::string& certificate_id) {
  return base + "/v1/certificates/" + certificate_id + "/bundle?format=pem";
}

struct RunnerConfig {
  int workers = 32;  // per pool; handler threads also run local pipeline steps
  milliseconds poll_interval{500};
  milliseconds lease{30'000};     // a claimed request is reclaimed after it
  int max_attempts = 10;
  milliseconds initial_backoff{1'000};
  milliseconds max_backoff{300'000};
  milliseconds sync_wait{10'000};  // longest a POST waits before answering 202
  // Server-side RSA key generation costs ~0.1-1 s of CPU per key: at most
  // keygen_concurrency run at once, and at most keygen_queue more wait for
  // a slot; beyond that a request is parked (202) and retried.
  int keygen_concurrency = 1;
  int keygen_queue = 2;
};

// Revocation status publishing (docs/revocation.md): CRLs and OCSP.
struct RevocationConfig {
  std::string listen;    // a plain-HTTP listener for /pki/...; "" for none
  std::string base_url;  // what certificates link to; default http://<listen>
  milliseconds poll_interval{100};               // how often new revocations are looked for
  int io_threads = 0;                            // the listener's I/O threads; 0: one per core
  milliseconds crl_validity{7LL * 24 * 3600 * 1000};        // nextUpdate - thisUpdate
  milliseconds crl_refresh_before{3LL * 24 * 3600 * 1000};  // re-signed when nextUpdate is this close
  milliseconds crl_debounce{200};                // a burst of revocations makes one CRL
  milliseconds crl_expired_grace{0};             // expired certificates stay listed this long
  int crl_shards = 1;                            // > 1: certificates spread over shard CRLs
  bool delta_crls = false;
  milliseconds delta_validity{24LL * 3600 * 1000};
  // OCSP (RFC 6960): answers and the delegated responder that signs them.
  std::string ocsp_keys;                        // keys instance for responder keys; "" = the only one
  std::string ocsp_signer_key = "ecdsa-p256";   // ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096
  milliseconds ocsp_validity{4LL * 3600 * 1000};         // nextUpdate - thisUpdate of an answer
  milliseconds ocsp_refresh_before{3600LL * 1000};       // cached answers re-signed this long before nextUpdate
  milliseconds ocsp_max_age{60LL * 1000};                // HTTP Cache-Control max-age (never past nextUpdate)
  milliseconds ocsp_signer_validity{30LL * 24 * 3600 * 1000};
  milliseconds ocsp_signer_renew_before{10LL * 24 * 3600 * 1000};
  std::size_t ocsp_cache_entries = 100000;      // signed answers kept in memory
  bool ocsp_presign = true;                     // sign new certificates' answers before they are asked for
  int line = 0;
};

// Lifecycle automation (docs/lifecycle.md).
struct RenewalConfig {
  std::string schedule = "0 2 * * *";  // cron (UTC): when due certificates are renewed
  int batch = 500;                      // certificates renewed per run at most
  milliseconds retry_initial{3600LL * 1000};       // after a failed renewal, doubling ...
  milliseconds retry_max{24LL * 3600 * 1000};      // ... up to this
  milliseconds request_wait{10'000};    // how long a run waits for one renewal before moving on
  int line = 0;
};

struct LifecycleConfig {
  milliseconds interval{1000};  // how often end of use, expiry, warnings and retries are looked at
  std::vector<milliseconds> expiry_warnings = {std::chrono::hours(24 * 30), std::chrono::hours(24 * 14),
                                               std::chrono::hours(24 * 7), std::chrono::hours(24)};
  int batch = 500;              // certificates handled per job and round
  int line = 0;
};

struct NotificationsConfig {
  milliseconds poll_interval{500};
  milliseconds retry_initial{1000};
  milliseconds retry_max{300'000};
  milliseconds give_up_after{72LL * 3600 * 1000};  // then the notification is failed
  milliseconds lease{120'000};  // a delivery under way is taken over after it
  int concurrency = 4;          // deliveries at once per host
  int line = 0;
};

// intake: how often this host asks request sources (notifiers that bring
// requests in, signet/intake.hpp) for new requests.
struct IntakeConfig {
  milliseconds poll_interval{30'000};
  int batch = 20;  // offers taken per source and round
};

// The secrets API (/v1/secrets): the store instance that keeps the values.
struct SecretsConfig {
  std::string store;  // "" = the only store instance, if there is exactly one
  std::vector<std::string> notify;  // notifier instances told when a secret is due for rotation
  int line = 0;
};

enum class PluginKind { ca, store, notifier, keys };
const char* to_string(PluginKind kind);

struct InstanceConfig {
  std::string name;
  PluginKind kind = PluginKind::ca;
  std::string plugin;             // descriptor name, file <plugin>.so
  std::string library;            // explicit path, overrides the search
  std::vector<std::string> required_capabilities;
  YAML::Node config;              // checked against the plugin's schema
  int line = 0;
};

struct PipelineConfig {
  std::vector<std::string> validate;
  std::string sign;
  std::string store;
  std::vector<std::string> notify;
  int line = 0;
};

// tenants.<slug>: what one tenant uses instead of the shared defaults.
struct TenantConfig {
  std::string slug;
  std::vector<std::string> profiles;                 // the profiles it may use; empty: all
  std::map<std::string, PipelineConfig> pipelines;  // its own issue/renew/revoke pipelines (its issuing CA)
  int line = 0;
};

struct Config {
  std::string file;
  ServerConfig server;
  std::string data_dir = "./signet-data";
  std::string database_url;  // default: sqlite://<data_dir>/signet.db
  std::string log_level = "info";
  std::vector<std::string> plugin_dirs;
  std::vector<InstanceConfig> instances;
  ProfileSet profiles;  // replaced as a whole by a live reload
  std::map<std::string, PipelineConfig> pipelines;  // issue, renew, revoke
  RunnerConfig runner;
  RevocationConfig revocation;
  RenewalConfig renewal;
  LifecycleConfig lifecycle;
  NotificationsConfig notifications;
  IntakeConfig intake;
  SecretsConfig secrets;
  std::vector<RoleDefinition> roles;  // rbac.roles: custom roles beside the built-in ones
  std::vector<TenantConfig> tenants;  // created at start-up when absent
  UiConfig ui;                        // the dashboard and people's sign-in
  std::string audit_export_file;      // audit.export_file: JSON lines for log shippers; "" for none
  milliseconds audit_export_interval{500};

  const InstanceConfig* instance(const std::string& name) const;
  // Null when there is none; it stays valid after a reload.
  std::shared_ptr<const ProfileConfig> profile(const std::string& name) const { return profiles.find(name); }
};

// Parses and checks a configuration. Returns every problem found, each with
// its file and line; the config is usable only when the list is empty.
struct LoadedConfig {
  Config config;
  std::vector<ConfigIssue> issues;
};
LoadedConfig load_config_file(const std::string& path);
LoadedConfig load_config_text(const std::string& text, const std::string& name);

// The plugin directory next to the executable: <exe>/../lib/signet/plugins.
std::string default_plugin_dir();

}  // namespace signet::host
