#include "app/host_app.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include <fsutil/files.hpp>

#include "api/api.hpp"
#include "auth/authenticate.hpp"
#include "auth/authorize.hpp"
#include "auth/bootstrap.hpp"
#include "auth/tokens.hpp"
#include "db/tenants.hpp"
#include "http/server.hpp"
#include "notify/dispatcher.hpp"
#include "pipeline/build_pipelines.hpp"
#include "services/audit_export.hpp"
#include "services/host_services.hpp"
#include "tls/ca_issued.hpp"
#include "tls/server_context.hpp"

namespace signet::host {
namespace {

RateLimits rate_limits(const ServerConfig& server) {
  auto limiter = [](const RateLimitConfig& c) {
    return c.rate > 0 ? std::make_shared<RateLimiter>(c.rate, c.burst) : nullptr;
  };
  return {limiter(server.per_source), limiter(server.per_principal)};
}

std::vector<std::string> ca_names(const Config& config) {
  std::vector<std::string> names;
  for (const auto& i : config.instances)
    if (i.kind == PluginKind::ca) names.push_back(i.name);
  return names;
}

// The anchors of client certificates: a CA instance's chain or a PEM file.
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

// Automatic TLS: when the issue pipeline signs with a CA Signet runs, the
// host's certificate comes from it (and ca.pem is that CA's root).
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

// A CA that refuses the host's names (name constraints, say) leaves the
// host on its self-signed certificate rather than down.
Result<void> prepare_tls(const Config& config, const PluginInstances& instances, const std::string& tenant,
                         signet::Logger& log) {
  auto prepared = prepare_automatic_tls(config, instances, tenant);
  if (prepared || prepared.error().code != ErrorCode::rejected) return prepared;
  log.warn("the CA refused the host's TLS certificate; using a self-signed one", {{"error", prepared.error().message}});
  return {};
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

int refuse(const std::string& message) {
  std::cerr << "signet: " << message << "\n";
  return 1;
}

int serve(const Config& given, const ServeOptions& options) {
  Config config = given;  // revocation.base_url may come from the listener's bound port
  // Block the stop signals in every thread; the main thread waits for them.
  const sigset_t stop = stop_signals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The data directory first: plugin configs commonly point into it.
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return refuse("cannot create data_dir " + config.data_dir + ": " + ec.message());
  // The database before the plugins: CAs record into its ledger.
  auto db = Database::open(config.database_url, static_cast<std::size_t>(config.runner.workers) + 4);
  if (!db) return refuse(db.error().message);
  if (auto migrated = db.value()->migrate(); !migrated) return refuse(migrated.error().message);
  auto tenant = ensure_tenant(*db.value(), "default", "Default");
  if (!tenant) return refuse(tenant.error().message);
  // Tenants the configuration names exist from the start; some have profiles or pipelines of their own.
  std::map<std::string, std::string> tenant_ids;
  std::map<std::string, std::vector<std::string>> tenant_profiles;
  for (const auto& t : config.tenants) {
    auto made = ensure_tenant(*db.value(), t.slug, t.slug);
    if (!made) return refuse("tenant " + t.slug + ": " + made.error().message);
    tenant_ids[t.slug] = made->id;
    if (!t.profiles.empty()) tenant_profiles[made->id] = t.profiles;
  }
  DatabaseLedger ledger(*db.value());
  HostServicesImpl services(parse_log_level(config.log_level).value_or(LogLevel::info));
  services.set_ledger(&ledger);
  std::vector<std::string> errors;
  const PluginInstances instances = PluginInstances::create(config, services, errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::cerr << e << "\n";
    return 1;
  }
  if (auto ready = initialize_cas(instances); !ready) return refuse(ready.error().message);
  if (options.dev)
    if (auto written = write_dev_admin_token(*db.value(), options.admin_token_file); !written)
      return refuse(written.error().message);
  if (auto prepared = prepare_tls(config, instances, tenant.value().id, services.logger()); !prepared)
    return refuse(prepared.error().message);
  auto anchors = client_anchors(config.server.tls.client_auth, instances);
  if (!anchors) return refuse(anchors.error().message);
  auto tls = make_server_tls(config.server.tls, config.data_dir, anchors.value());
  if (!tls) return refuse(tls.error().message);

  // Two pools: HTTP handlers may wait for a pipeline, so pipelines never
  // queue behind the handlers that wait for them.
  boost::asio::thread_pool handlers(static_cast<std::size_t>(config.runner.workers));
  boost::asio::thread_pool pipeline_workers(static_cast<std::size_t>(config.runner.workers));
  auto access_log = services.shared_json_logger()->with_component("access");
  // The plain-HTTP revocation listener binds before the pipelines are built:
  // without a base_url, certificates link to its address.
  // Only open routes there: nobody authenticates on it.
  const auto nobody = [](RequestContext&) { return std::optional<ApiError>(ApiError{"unauthenticated", "no authentication here"}); };
  const auto nothing = [](RequestContext&, const std::string&) { return std::optional<ApiError>(ApiError{"permission_denied", "nothing is granted here"}); };
  Router pki_router(nobody, nothing, audit_refusals(*db.value(), services.logger()));
  std::optional<StatusServer> pki_server;
  if (!config.revocation.listen.empty()) {
    ServerConfig pki_config = config.server;
    pki_config.listen = config.revocation.listen;
    pki_config.io_threads = config.revocation.io_threads > 0 ? config.revocation.io_threads
                                                              : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    pki_server.emplace(pki_config, pki_router, handlers, *access_log, services.metrics());
    if (auto listening = pki_server->listen(); !listening) return refuse(listening.error().message);
    if (config.revocation.base_url.empty()) config.revocation.base_url = pki_server->url();
  }
  CrlPublisher crls(*db.value(), instances, config.revocation, services.logger());
  if (auto publishing = crls.start(); !publishing) return refuse(publishing.error().message);
  OcspResponder ocsp(*db.value(), instances, config.revocation, services.logger(), services.metrics());
  if (auto answering = ocsp.start(); !answering) return refuse(answering.error().message);
  Runner runner(*db.value(), build_pipelines(config, instances, tenant_ids), config.runner, pipeline_workers,
                services.logger(), services.metrics());
  Renewals renewals(*db.value(), runner, config, tenant_profiles, services.logger(), runner.owner());
  runner.on_final_failure(final_failure_writes(renewals));
  NotificationDispatcher dispatcher(*db.value(), instances, config.notifications, pipeline_workers, services.logger(),
                                    services.metrics());
  SecretChanges secret_changes(*db.value(), instances, services.logger());
  LifecycleScheduler scheduler(*db.value(), runner, renewals, secret_changes, config, services.logger(), runner.owner());
  auto roles = std::make_shared<Roles>(Roles::builtin());
  for (const auto& role : config.roles) (void)roles->add(role);  // checked when the config was read
  Router router(request_authenticator(*db.value(), services.logger(), config.server.tls.client_auth, ca_names(config)),
                role_authorizer(roles),
                audit_refusals(*db.value(), services.logger()), rate_limits(config.server));
  const ApiDependencies deps{config,           *db.value(), runner, instances, services.metrics_registry(), services.logger(),
                             *roles,           tenant_profiles, renewals,  secret_changes};
  add_operations_routes(router, deps);
  add_certificate_routes(router, deps);
  add_certificate_read_routes(router, deps);
  add_bundle_routes(router, deps);
  add_revocation_routes(router, deps);
  add_request_routes(router, deps);
  const PkiDependencies pki{instances, crls, ocsp, config.revocation};
  add_pki_routes(router, pki);
  add_pki_routes(pki_router, pki);
  add_tenant_routes(router, deps);
  add_token_routes(router, deps);
  add_audit_routes(router, deps);
  add_approle_routes(router, deps);
  add_renewal_routes(router, deps);
  add_notification_routes(router, deps);
  add_secret_routes(router, deps);
  if (options.test_clock) {
    services.logger().warn("the test clock is on: POST /v1/test/clock moves this host's time; never use it in production");
    add_test_clock_routes(router, scheduler, services.logger());
  }

  HttpServer server(config.server, tls.value(), router, handlers, *access_log, services.metrics());
  if (auto listening = server.listen(); !listening) return refuse(listening.error().message);
  std::optional<AuditExport> audit_export;
  if (!config.audit_export_file.empty()) {
    audit_export.emplace(*db.value(), config.audit_export_file, config.audit_export_interval, services.logger());
    if (auto exporting = audit_export->start(); !exporting) return refuse(exporting.error().message);
  }
  runner.start();
  dispatcher.start();
  if (auto scheduling = scheduler.start(); !scheduling) return refuse(scheduling.error().message);
  server.start();
  if (pki_server) pki_server->start(ocsp_fast_path(ocsp));
  services.logger().info("signet is serving", {{"url", server.url()}, {"data_dir", config.data_dir}});
  if (pki_server) std::cout << "signet: revocation status on " << pki_server->url() << std::endl;
  std::cout << "signet: listening on " << server.url() << std::endl;

  int signal = 0;
  sigwait(&stop, &signal);
  services.logger().info("signet is stopping");
  server.stop();
  if (pki_server) pki_server->stop();
  crls.stop();
  ocsp.stop();
  handlers.join();
  scheduler.stop();
  runner.stop();
  dispatcher.stop();
  pipeline_workers.join();
  if (audit_export) audit_export->stop();
  return 0;
}

}  // namespace signet::host
