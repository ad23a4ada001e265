// The subcommands of the signet executable. Each returns the exit code:
// 0 success, 1 refused or failed (reason on stderr), 2 usage error.
#pragma once

#include <optional>
#include <string>

#include "client/args.hpp"
#include "config/config.hpp"

namespace signet::host {

// The configuration an offline command works on: --config FILE, or the dev
// configuration of --data-dir D. Holds an exit code when there is none.
class OfflineConfig {
 public:
  static OfflineConfig of(Config config) { return OfflineConfig(std::move(config), 0); }
  static OfflineConfig failed(int exit_code) { return OfflineConfig(std::nullopt, exit_code); }
  explicit operator bool() const { return config_.has_value(); }
  const Config& value() const { return *config_; }
  int error() const { return exit_code_; }

 private:
  OfflineConfig(std::optional<Config> config, int exit_code) : config_(std::move(config)), exit_code_(exit_code) {}
  std::optional<Config> config_;
  int exit_code_;
};
OfflineConfig offline_config(const Args& args, const std::string& command);
int usage_error(const std::string& message);  // prints it, returns 2

int command_serve(int argc, char** argv);
int command_config(int argc, char** argv);
int command_plugins(int argc, char** argv);
int command_token(int argc, char** argv);
int command_ca(int argc, char** argv);
int command_cert(int argc, char** argv);  // talks to a running host
int command_request(int argc, char** argv);  // request get | approve | reject, on a running host
int command_audit(int argc, char** argv);
int command_migrate(int argc, char** argv);  // offline: pending migrations, --dry-run
int command_agent(int argc, char** argv);  // keeps a certificate current on disk
int command_reload(int argc, char** argv);  // a running host reads its configuration again
int command_backup(int argc, char** argv);  // offline, beside a running host: data_dir as one checked file
int command_restore(int argc, char** argv);  // that file into a new data directory
int command_renew(int argc, char** argv);  // renew --due
int command_token_bootstrap(int argc, char** argv);  // offline: the first super-admin token

}  // namespace signet::host
