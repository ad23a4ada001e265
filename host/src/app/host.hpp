// A running host, made stage by stage: each stage is one named function
// that starts a part (and says why not), with the function that stops it.
// serve() runs the list forwards and stops what started in reverse order
// from the same list, on a signal or when a later stage refuses to start.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "app/host_app.hpp"
#include "config/reload_plan.hpp"
#include "auth/authenticate.hpp"
#include "auth/oidc.hpp"
#include "auth/sessions.hpp"
#include "db/database.hpp"
#include "db/ledger.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/status_server.hpp"
#include "lifecycle/intake.hpp"
#include "lifecycle/name_indexer.hpp"
#include "lifecycle/renewals.hpp"
#include "lifecycle/scheduler.hpp"
#include "notify/dispatcher.hpp"
#include "pipeline/runner.hpp"
#include "pki/crl_publisher.hpp"
#include "pki/ocsp_responder.hpp"
#include "plugins/instances.hpp"
#include "rbac/roles.hpp"
#include "secrets/secret_changes.hpp"
#include "services/audit_export.hpp"
#include "services/host_services.hpp"
#include "services/logger.hpp"

namespace signet::host {

// Why a stage could not start: lines for stderr, as they are printed.
using StageRefusal = std::vector<std::string>;

class Host {
 public:
  struct Stage {
    const char* name;
    std::optional<StageRefusal> (Host::*start)();
    void (Host::*stop)();  // null when nothing needs stopping
  };
  // In start order.
  static const std::vector<Stage>& stages();

  Host(const Config& config, const ServeOptions& options);
  ~Host();

  // The data directory first: plugin configs commonly point into it.
  std::optional<StageRefusal> open_data_directory();
  // The database before the plugins: CAs record into its ledger.
  std::optional<StageRefusal> open_database();
  std::optional<StageRefusal> load_plugins();
  // Bound before the pipelines are built: without revocation.base_url,
  // certificates link to this listener's address. It opens with the front.
  std::optional<StageRefusal> bind_revocation_listener();
  std::optional<StageRefusal> start_revocation_publishing();
  void stop_revocation_publishing();
  // The runner and its pipelines, renewals, notifications, secret changes
  // and the scheduler, made but not started.
  std::optional<StageRefusal> build_request_processing();
  // TLS, routes and the bound listener: a host that cannot serve (its port
  // taken, a bad certificate) stops here, before it takes any work.
  std::optional<StageRefusal> prepare_front();
  std::optional<StageRefusal> start_background_services();
  void stop_background_services();
  std::optional<StageRefusal> open_front();
  void close_front();

  signet::Logger& log() { return services_.logger(); }

  // Reads the configuration file again and applies what may change while
  // running (config/reload_plan.hpp), or nothing: a file with problems, or
  // a change only a restart can make, leaves the running configuration in
  // force. Every problem is logged and returned. One reload at a time.
  // The outcome is also written to <data_dir>/reload.json, for `signet
  // reload --pid` (systemd's ExecReload), which waits for it.
  ReloadOutcome reload(const ReloadCaller& caller);

 private:
  void add_routes();
  ReloadOutcome reload_file();
  // Every tenant the configuration names exists; the profiles each may use, by tenant id.
  Result<TenantProfiles::Map> ensure_configured_tenants(const Config& config);
  // The reload's parts that can fail, made before anything is swapped in.
  struct PreparedReload;
  std::optional<PreparedReload> prepare_reload(const Config& next, const ReloadPlan& plan,
                                              std::vector<std::string>& changed, ReloadOutcome& outcome);
  void apply_reload(const Config& next, const ReloadPlan& plan, PreparedReload prepared);

  Config config_;
  const ServeOptions options_;
  std::mutex reload_mutex_;
  std::uint64_t reload_generation_ = 0;
  nlohmann::json running_document_;  // the file as read at start or at the last reload
  std::vector<std::string> client_anchors_;
  std::unique_ptr<Database> db_;
  std::string default_tenant_id_;
  std::map<std::string, std::string> tenant_ids_;  // configured tenants by slug
  TenantProfiles tenant_profiles_;
  std::optional<DatabaseLedger> ledger_;
  HostServicesImpl services_;
  const std::shared_ptr<JsonLogger> access_log_;
  std::optional<PluginInstances> instances_;
  // Two pools: HTTP handlers may wait for a pipeline, so pipelines never
  // queue behind the handlers that wait for them.
  boost::asio::thread_pool handlers_, pipeline_workers_;
  std::optional<Router> pki_router_;
  std::optional<StatusServer> pki_server_;
  std::optional<CrlPublisher> crls_;
  std::optional<OcspResponder> ocsp_;
  std::optional<Runner> runner_;
  std::optional<Renewals> renewals_;
  std::optional<NotificationDispatcher> dispatcher_;
  std::optional<SecretChanges> secret_changes_;
  std::optional<LifecycleScheduler> scheduler_;
  std::optional<IntakePoller> intake_;
  std::optional<NameIndexer> name_indexer_;
  std::optional<AuditExport> audit_export_;
  std::shared_ptr<Roles> roles_;
  std::unique_ptr<Sessions> sessions_;   // before the authenticator, which uses them
  std::unique_ptr<OidcSignIn> oidc_;
  std::unique_ptr<RequestAuthenticator> authenticator_;
  std::optional<Router> router_;
  std::optional<HttpServer> server_;
};

}  // namespace signet::host
