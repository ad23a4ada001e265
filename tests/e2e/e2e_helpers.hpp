// Helpers for the end-to-end suites: configs, raw sockets, polling.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "signet_process.hpp"

namespace signet::test {

// A config for a host on a free loopback port, writing under dir. `extra`
// is appended as YAML (plugins, pipelines, ...).
std::string host_config(const TempDir& dir, const std::string& extra, bool tls = true);

// The `plugins` section of a host with one ca-internal instance `corp`
// (keys in keys-software instance `keys`, files under dir/data) whose
// config continues with `ca_config`: YAML lines indented by 8 spaces.
std::string internal_ca_plugins(const TempDir& dir, const std::string& ca_config);

// Makes a P-256 CSR with the openssl CLI (test input never comes from our code).
std::string make_csr(const TempDir& dir, const std::string& cn, const std::string& san);

// Opens a TCP connection to 127.0.0.1:port, sends `data`, then reads until
// the peer closes or `wait` passes. Returns what arrived and whether the
// peer closed.
struct RawExchange {
  std::string received;
  bool closed_by_peer = false;
  std::chrono::milliseconds elapsed{0};
};
RawExchange raw_exchange(int port, const std::string& data, std::chrono::milliseconds wait);

// Bootstraps an admin token into the config's database, returns it.
std::string bootstrap_token(const TempDir& dir, const std::string& config_file);

nlohmann::json json_of(const signet::HttpResponse& response);

// Polls GET /v1/requests/{id} on `url` every 200 ms until the request has
// succeeded or failed, at most `seconds`; its last JSON (an empty object
// when it was never read).
nlohmann::json wait_for_request(const std::string& url, const std::string& request_id, const std::string& token,
                                const std::string& ca_file, int seconds = 60);

std::string trimmed(std::string text);  // without trailing newlines

// The database of the host whose files are under `dir`: SQLite files under
// the host's data directory, or, when the suites run against PostgreSQL
// (SIGNET_TEST_DATABASE=postgresql), a database made for `dir`.
std::string database_url_for(const TempDir& dir);  // "" for SQLite
// `serve --dev` on a free loopback port with its data in `data_dir`, on
// the test database; `extra` follows.
std::vector<std::string> dev_serve_args(const TempDir& dir, const std::string& data_dir,
                                        const std::vector<std::string>& extra = {});
// " --database URL" for offline commands given --data-dir, or "".
std::string database_flag(const TempDir& dir);
// Runs SQL on that database (`sqlite_file` when it is SQLite); rows come
// back as sqlite3 prints them, "a|b" lines.
CommandResult query_database(const TempDir& dir, const std::string& sqlite_file, const std::string& sql);
// Makes every insert into the audit log fail with "audit log unavailable"
// (a trigger), or, with down false, takes the trigger away.
CommandResult set_audit_log_down(const TempDir& dir, const std::string& sqlite_file, bool down);
// PostgreSQL only: a copy of the (idle) database of `dir` named `name`; its URL.
std::string copy_database(const TempDir& dir, const std::string& name);
// Everything the database holds, as bytes to search for what must never be
// there (the SQLite files under `sqlite_prefix`*, or a pg_dump).
std::string database_contents(const TempDir& dir, const std::string& sqlite_prefix);

// A host in dev mode on a free loopback port, with its admin token: the
// fixture of suites that share one host.
class DevHost {
 public:
  explicit DevHost(const std::vector<std::string>& extra_args = {});  // after `serve --dev ...`
  bool started() const { return process_->started(); }
  std::string log() const { return process_->log(); }
  const std::string& url() const { return process_->url(); }
  const std::string& admin_token() const { return admin_; }
  std::string ca_file() const { return dir_.file("dev/ca.pem"); }
  const TempDir& dir() const { return dir_; }
  SignetProcess& process() { return *process_; }
  // Issues a certificate for `name` with a key the host makes (P-256) and
  // returns the 201 body; a failure is a test failure and an empty object.
  nlohmann::json issue(const std::string& name);

 private:
  TempDir dir_;
  std::unique_ptr<SignetProcess> process_;
  std::string admin_;
};

}  // namespace signet::test
