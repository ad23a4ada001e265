// Runs the host: plugins, database, runner, HTTPS front, until a signal.
#pragma once

#include <string>

#include "config/config.hpp"

namespace signet::host {

struct ServeOptions {
  bool dev = false;
  std::string admin_token_file;  // dev mode writes the first admin token here
  bool test_clock = false;       // POST /v1/test/clock moves the clock (tests only)
};

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up
// was refused (every reason printed to stderr, one per line).
int serve(const Config& config, const ServeOptions& options);

// "signet: message", as every refusal to start is printed.
std::string refusal_line(const std::string& message);
// Prints refusal_line(message) to stderr and returns exit code 1.
int refuse(const std::string& message);

// The configuration of `signet serve --dev` (../docs/configuration.md).
Config dev_config(const std::string& data_dir, const std::string& listen);
// `--database URL` with --dev: the metadata there and, on PostgreSQL, the
// keys the host makes too (store `local` becomes store-postgres in the same
// database, its master key still the file in the data directory), as
// examples/postgres.yaml runs.
void use_dev_database(Config& config, const std::string& url);

}  // namespace signet::host
