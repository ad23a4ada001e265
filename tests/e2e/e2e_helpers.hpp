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

std::string trimmed(std::string text);  // without trailing newlines

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
