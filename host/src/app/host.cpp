#include "app/host.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include <boost/asio/ip/address.hpp>
#include <fsutil/files.hpp>

#include "api/api.hpp"
#include "api/openapi.hpp"
#include "app/front_setup.hpp"
#include "config/yaml_json.hpp"
#include "auth/authorize.hpp"
#include "auth/bootstrap.hpp"
#include "auth/tokens.hpp"
#include "db/name_search.hpp"
#include "db/tenants.hpp"
#include "pipeline/build_pipelines.hpp"
#include "tls/ca_issued.hpp"
#include "tls/server_context.hpp"

namespace signet::host {
namespace {

StageRefusal refused(const std::string& message) { return {refusal_line(message)}; }

std::vector<std::string> ca_names(const Config& config) {
  std::vector<std::string> names;
  for (const auto& i : config.instances)
    if (i.kind == PluginKind::ca) names.push_back(i.name);
  return names;
}

// Dev mode: the first super-admin token, written once to a 0600 file and
// kept across restarts.
Result<void> write_dev_admin_token(Database& db, const std::string& path) {
  auto exists = TokenStore(db).super_admin_exists();
  if (!exists) return std::move(exists).error();
  if (exists.value() && std::filesystem::exists(path)) return {};
  auto issued = bootstrap_admin_token(db, path, true);
  if (!issued) return std::move(issued).error();
  return {};
}

// CAs that Signet manages get their keys and certificates now (or say why
// they cannot), not at the first request.
Result<void> initialize_cas(const PluginInstances& instances) {
  for (const auto& i : instances.all()) {
    if (i.kind != PluginKind::ca || !(i.capabilities & SIGNET_CAP_CA_MANAGE)) continue;
    auto chain = instances.ca(i.name)->initialize(CaInit{true});
    if (!chain) return make_error(chain.error().code, "CA " + i.name + ": " + chain.error().message);
  }
  return {};
}

}  // namespace

// Start order: nothing takes work (claims requests, sends notifications,
// holds the scheduler's lease) before the front is known to be able to
// serve. Stop order, the reverse: no new requests and those under way
// finish, then the background work, then CRL and OCSP publishing.
const std::vector<Host::Stage>& Host::stages() {
  static const std::vector<Stage> list = {
      {"data directory", &Host::open_data_directory, nullptr},
      {"database", &Host::open_database, nullptr},
      {"plugins", &Host::load_plugins, nullptr},
      {"revocation listener", &Host::bind_revocation_listener, nullptr},
      {"revocation publishing", &Host::start_revocation_publishing, &Host::stop_revocation_publishing},
      {"request processing", &Host::build_request_processing, nullptr},
      {"front", &Host::prepare_front, nullptr},
      {"background services", &Host::start_background_services, &Host::stop_background_services},
      {"serving", &Host::open_front, &Host::close_front},
  };
  return list;
}

Host::Host(const Config& config, const ServeOptions& options)
    : config_(config),
      options_(options),
      services_(parse_log_level(config.log_level).value_or(LogLevel::info)),
      access_log_(services_.shared_json_logger()->with_component("access")),
      handlers_(static_cast<std::size_t>(config.runner.workers)),
      pipeline_workers_(static_cast<std::size_t>(config.runner.workers)) {
  // What a reload compares the file with: it as it was read (it was just
  // loaded, so it parses).
  if (!config_.file.empty()) {
    try {
      running_document_ = json_from_yaml(YAML::LoadFile(config_.file));
    } catch (const YAML::Exception&) {
    }
  }
}

Host::~Host() = default;

std::optional<StageRefusal> Host::open_data_directory() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return refused("cannot create data_dir " + config_.data_dir + ": " + ec.message());
  return std::nullopt;
}

std::optional<StageRefusal> Host::open_database() {
  auto db = Database::open(config_.database_url, static_cast<std::size_t>(config_.runner.workers) + 4);
  if (!db) return refused(db.error().message);
  db_ = std::move(db).value();
  if (auto migrated = db_->migrate(); !migrated) return refused(migrated.error().message);
  if (auto trigrams = read(*db_, [](soci::session& s) { return name_trigrams_present(s); }); trigrams && !*trigrams)
    log().warn("certificate names have no trigram index (the database role could not create the pg_trgm extension): "
               "searches by part of a name scan every name; docs/postgresql.md says how to add it");
  auto tenant = ensure_tenant(*db_, "default", "Default");
  if (!tenant) return refused(tenant.error().message);
  default_tenant_id_ = tenant->id;
  auto limits = ensure_configured_tenants(config_);
  if (!limits) return refused(limits.error().message);
  tenant_profiles_.replace(std::move(limits).value());
  return std::nullopt;
}

// Tenants the configuration names exist from the start; some have profiles or pipelines of their own.
Result<TenantProfiles::Map> Host::ensure_configured_tenants(const Config& config) {
  TenantProfiles::Map limits;
  for (const auto& t : config.tenants) {
    auto made = ensure_tenant(*db_, t.slug, t.slug);
    if (!made) return make_error(made.error().code, "tenant " + t.slug + ": " + made.error().message);
    tenant_ids_[t.slug] = made->id;
    if (!t.profiles.empty()) limits[made->id] = t.profiles;
  }
  return limits;
}

std::optional<StageRefusal> Host::load_plugins() {
  ledger_.emplace(*db_);
  services_.set_ledger(&*ledger_);
  StageRefusal errors;
  instances_.emplace(PluginInstances::create(config_, services_, errors));
  if (!errors.empty()) return errors;
  if (auto ready = initialize_cas(*instances_); !ready) return refused(ready.error().message);
  if (options_.dev)
    if (auto written = write_dev_admin_token(*db_, options_.admin_token_file); !written)
      return refused(written.error().message);
  return std::nullopt;
}

std::optional<StageRefusal> Host::bind_revocation_listener() {
  // Only open routes there: nobody authenticates on it.
  const auto nobody = [](const Credentials&) -> std::variant<Principal, HostError> {
    return HostError{"unauthenticated", "no authentication here"};
  };
  const auto nothing = [](const Principal&, const std::string&) -> std::variant<Access, HostError> {
    return HostError{"permission_denied", "nothing is granted here"};
  };
  pki_router_.emplace(nobody, nothing, audit_refusals(*db_, log()));
  if (config_.revocation.listen.empty()) return std::nullopt;
  ServerConfig pki_config = config_.server;
  pki_config.listen = config_.revocation.listen;
  pki_config.io_threads = config_.revocation.io_threads > 0
                              ? config_.revocation.io_threads
                              : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  pki_server_.emplace(pki_config, *pki_router_, handlers_, *access_log_, services_.metrics());
  if (auto listening = pki_server_->listen(); !listening) return refused(listening.error().message);
  if (config_.revocation.base_url.empty()) config_.revocation.base_url = pki_server_->url();
  return std::nullopt;
}

std::optional<StageRefusal> Host::start_revocation_publishing() {
  crls_.emplace(*db_, *instances_, config_.revocation, log());
  if (auto publishing = crls_->start(); !publishing) return refused(publishing.error().message);
  ocsp_.emplace(*db_, *instances_, config_.revocation, log(), services_.metrics());
  if (auto answering = ocsp_->start(); !answering) return refused(answering.error().message);
  return std::nullopt;
}

void Host::stop_revocation_publishing() {
  if (crls_) crls_->stop();
  if (ocsp_) ocsp_->stop();
}

std::optional<StageRefusal> Host::build_request_processing() {
  // Which keys instance each CA signs with (its `keys` setting), for the signing-time metric.
  std::map<std::string, std::string> key_backends;
  for (const auto& instance : config_.instances)
    if (instance.kind == PluginKind::ca && instance.config["keys"] && instance.config["keys"].IsScalar())
      key_backends[instance.name] = instance.config["keys"].Scalar();
  runner_.emplace(*db_, build_pipelines(config_, *instances_, tenant_ids_), config_.runner,
                  pipeline_workers_, log(), services_.metrics(), std::move(key_backends));
  renewals_.emplace(*db_, *runner_, config_, tenant_profiles_, log(), runner_->owner());
  runner_->on_final_failure(final_failure_writes(*renewals_));
  dispatcher_.emplace(*db_, *instances_, config_.notifications, pipeline_workers_, log(), services_.metrics());
  secret_changes_.emplace(*db_, *instances_, log());
  scheduler_.emplace(*db_, *runner_, *renewals_, *secret_changes_, config_, log(), runner_->owner());
  intake_.emplace(*db_, *runner_, config_, *instances_, tenant_profiles_, log(), services_.metrics(), runner_->owner());
  return std::nullopt;
}

std::optional<StageRefusal> Host::start_background_services() {
  if (!config_.audit_export_file.empty()) {
    audit_export_.emplace(*db_, config_.audit_export_file, config_.audit_export_interval, log());
    if (auto exporting = audit_export_->start(); !exporting) return refused(exporting.error().message);
  }
  runner_->start();
  dispatcher_->start();
  if (auto scheduling = scheduler_->start(); !scheduling) return refused(scheduling.error().message);
  intake_->start();
  name_indexer_.emplace(*db_, log());
  name_indexer_->start();
  return std::nullopt;
}

// Work already posted to the pipeline pool finishes before the pool is gone.
void Host::stop_background_services() {
  if (name_indexer_) name_indexer_->stop();
  if (intake_) intake_->stop();
  if (scheduler_) scheduler_->stop();
  if (runner_) runner_->stop();
  if (dispatcher_) dispatcher_->stop();
  pipeline_workers_.join();
  if (audit_export_) audit_export_->stop();
}

std::optional<StageRefusal> Host::prepare_front() {
  if (auto prepared = prepare_tls(config_, *instances_, default_tenant_id_, log()); !prepared)
    return refused(prepared.error().message);
  auto anchors = client_anchors(config_.server.tls.client_auth, *instances_);
  if (!anchors) return refused(anchors.error().message);
  client_anchors_ = anchors.value();
  auto tls = make_server_tls(config_.server.tls, config_.data_dir, client_anchors_);
  if (!tls) return refused(tls.error().message);
  roles_ = std::make_shared<Roles>(Roles::builtin());
  for (const auto& role : config_.roles) (void)roles_->add(role);  // checked when the config was read
  if (config_.ui.enabled) {
    sessions_ = std::make_unique<Sessions>(*db_, config_.ui);
    if (!config_.ui.oidc.issuer.empty())
      oidc_ = std::make_unique<OidcSignIn>(
          config_.ui.oidc,
          [this] {
            const std::string base = config_.server.public_url.empty() ? server_->url() : config_.server.public_url;
            return base + "/v1/session/oidc/callback";
          },
          services_.http(), *db_);
  }
  authenticator_ = std::make_unique<RequestAuthenticator>(*db_, log(), config_.server.tls.client_auth, ca_names(config_),
                                                          sessions_.get());
  router_.emplace([authenticator = authenticator_.get()](const Credentials& c) { return authenticator->authenticate(c); },
                  [roles = roles_](const Principal& caller, const std::string& permission) {
                    return authorize(*roles, caller, permission);
                  },
                  audit_refusals(*db_, log()), rate_limits(config_.server));
  add_routes();
  server_.emplace(config_.server, tls.value(), *router_, handlers_, *access_log_, services_.metrics());
  if (auto listening = server_->listen(); !listening) return refused(listening.error().message);
  return std::nullopt;
}

std::optional<StageRefusal> Host::open_front() {
  server_->start();
  if (pki_server_) pki_server_->start(ocsp_fast_path(*ocsp_));
  log().info("signet is serving", {{"url", server_->url()}, {"data_dir", config_.data_dir}});
  if (pki_server_) std::cout << "signet: revocation status on " << pki_server_->url() << std::endl;
  std::cout << "signet: listening on " << server_->url() << std::endl;
  if (config_.ui.enabled)
    std::cout << "signet: dashboard at " << server_->url() << "/ui/"
              << (options_.dev ? " (sign in with the admin token file above)" : "") << std::endl;
  return std::nullopt;
}

// No new requests, and those under way finish, before anything they use stops.
void Host::close_front() {
  if (server_) server_->stop();
  if (pki_server_) pki_server_->stop();
  handlers_.join();
}

void Host::add_routes() {
  ApiDependencies deps{config_,          *db_,       *runner_, *instances_, services_.metrics_registry(), log(),
                       *roles_,          tenant_profiles_, *renewals_, *secret_changes_, sessions_.get(), oidc_.get()};
  deps.reload = [this](const ReloadCaller& caller) { return reload(caller); };
  const PkiDependencies pki{*instances_, *crls_, *ocsp_, config_.revocation};
  add_api_routes(*router_, deps, pki);
  add_pki_routes(*pki_router_, pki);
  if (options_.test_clock) {
    log().warn("the test clock is on: POST /v1/test/clock moves this host's time; never use it in production");
    add_test_clock_routes(*router_, *scheduler_, log());
  }
  // Last: the document describes every route added before it.
  for (const auto& problem : add_openapi_route(*router_, config_.server.public_url))
    log().warn("the OpenAPI document is incomplete", {{"problem", problem}});
}

}  // namespace signet::host
