// signet agent: keeps one certificate current on disk for an application,
// the way Vault Agent or certbot's deploy hooks do. Each pass asks the host
// for the newest certificate of the chain that started with --cert
// (GET /v1/certificates/{id}/current); installs it when it is not the one
// on disk; and renews it over mutual TLS with a key made here when it is
// due. The command (cli/agent_command.cpp) runs the reload command after a
// pass that changed the files.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/deployed_files.hpp"
#include "client/api_client.hpp"

namespace signet::host {

struct AgentOptions {
  std::string certificate_id;
  std::string out_dir;
  // Renew when less than this is left; nullopt: a third of the lifetime
  // counted from issuance, the host's own rule for short-lived certificates.
  std::optional<std::chrono::milliseconds> renew_before;
};

struct PassReport {
  bool ok = true;        // false: the files may be stale; `message` says why
  bool changed = false;  // new files were installed
  std::string message;
  // Until the installed certificate is due, by the host's clock (zero when
  // nothing is installed or it is due now).
  std::chrono::milliseconds until_due{0};
};

class CertificateAgent {
 public:
  CertificateAgent(ApiClient& api, AgentOptions options) : api_(api), options_(std::move(options)), files_(options_.out_dir) {}

  PassReport run_pass();
  const DeployedFiles& files() const { return files_; }

 private:
  Result<ApiAnswer> ask(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  Result<nlohmann::json> current();
  Result<bool> install(const std::string& id, const std::string& cert_pem, std::optional<std::string> key);  // false: no key
  enum class Renewal { installed, waiting, renewed_elsewhere };
  Result<Renewal> renew(const nlohmann::json& current);
  Error write_error(const Error& e) const;
  std::chrono::milliseconds until_due(const CertificateInfo& installed) const;

  ApiClient& api_;
  const AgentOptions options_;
  DeployedFiles files_;
  Clock::time_point host_now_{};  // from the Date of the last answer
  // When the host recorded the certificate it last named current: a CA
  // backdates notBefore, so the life asked for starts here.
  std::string current_serial_;
  TimePoint current_issued_at_{};
};

}  // namespace signet::host
