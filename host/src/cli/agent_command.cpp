// signet agent: the command around CertificateAgent (one pass with --once,
// else a pass whenever the certificate comes due or --interval passes,
// until SIGTERM or SIGINT). signet renew --due: every due renewal now.
#include <atomic>
#include <cstdlib>
#include <csignal>
#include <iostream>
#include <thread>

#include "agent/agent.hpp"
#include "cli/commands.hpp"
#include "util/backoff.hpp"

namespace signet::host {
namespace {

using std::chrono::milliseconds;

constexpr const char* kAgentUsage =
    "usage: signet agent --cert ID --out DIR [--exec CMD] [--once] [--renew-before D] [--interval D]\n"
    "                    [--addr URL] [--cacert FILE] [--token T]\n"
    "  keeps DIR/server.crt, DIR/server.key (0600) and DIR/ca-chain.crt current for certificate ID and\n"
    "  its renewals; authenticates with DIR's certificate (mutual TLS) once it has one, with the token\n"
    "  before; renews when less than --renew-before (default: a third of the lifetime) is left;\n"
    "  runs CMD with /bin/sh after the files changed";

std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) { stop_requested = true; }

void sleep_unless_stopped(milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  while (!stop_requested && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(milliseconds(200), until - std::chrono::steady_clock::now()));
}

std::optional<milliseconds> duration_flag(const Args& args, const std::string& name, bool& bad) {
  const auto text = args.flag(name);
  if (!text) return std::nullopt;
  auto value = parse_duration(*text);
  if (!value || *value <= milliseconds(0)) bad = true;
  return value;
}

// After the files changed: the reload command, with what it may want to
// log in its environment. A failure fails the pass; the files stay.
void run_reload(const std::string& command, const DeployedFiles& files, PassReport& pass) {
  if (const auto installed = files.installed()) {
    setenv("SIGNET_CERT_SERIAL", installed->serial_hex.c_str(), 1);
    setenv("SIGNET_CERT_NOT_AFTER", to_rfc3339(installed->not_after).c_str(), 1);
  }
  setenv("SIGNET_CERT_DIR", files.directory().c_str(), 1);
  const int status = std::system(command.c_str());
  if (status == 0) return;
  pass.ok = false;
  pass.message = "the files changed, but the command `" + command + "` exited with status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : status);
}

void report(const PassReport& pass, const DeployedFiles& files) {
  if (pass.changed)
    if (const auto installed = files.installed())
      std::cout << "installed certificate " << installed->serial_hex << " (not after " << to_rfc3339(installed->not_after)
                << ") in " << files.cert_file() << std::endl;
}

void report_outcome(const PassReport& pass) {
  if (!pass.message.empty()) (pass.ok ? std::cout : std::cerr) << (pass.ok ? "" : "signet agent: ") << pass.message << std::endl;
}

}  // namespace

int command_agent(int argc, char** argv) {
  Args args(argc, argv, 2, {"once"});
  if (!args.only({"cert", "out", "exec", "once", "renew-before", "interval", "addr", "cacert", "token"}) ||
      !args.positional().empty() || !args.flag("cert") || !args.flag("out"))
    return usage_error((args.error().empty() ? "" : args.error() + "\n") + kAgentUsage);
  bool bad = false;
  const auto renew_before = duration_flag(args, "renew-before", bad);
  const milliseconds interval = duration_flag(args, "interval", bad).value_or(std::chrono::minutes(1));
  if (bad) return usage_error("--renew-before and --interval take a duration such as 30m, 12h or 7d");
  auto api = ApiClient::from(args);
  if (!api) return 2;
  CertificateAgent agent(*api, {*args.flag("cert"), *args.flag("out"), renew_before});
  const std::string reload = args.flag("exec").value_or("");
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  for (int failures = 0; !stop_requested;) {
    PassReport pass = agent.run_pass();
    report(pass, agent.files());
    if (pass.changed && !reload.empty()) run_reload(reload, agent.files(), pass);
    report_outcome(pass);
    if (args.has("once")) return pass.ok ? 0 : 1;
    failures = pass.ok ? 0 : failures + 1;
    const milliseconds due = pass.until_due > milliseconds(0) ? std::min(interval, pass.until_due) : interval;
    sleep_unless_stopped(pass.ok ? due : doubling_backoff(std::chrono::seconds(5), interval, failures));
  }
  return 0;
}

int command_renew(int argc, char** argv) {
  Args args(argc, argv, 2, {"due"});
  std::set<std::string> known = ApiClient::connection_flags();
  known.insert({"due", "tenant"});
  if (!args.only(known) || !args.has("due") || !args.positional().empty())
    return usage_error((args.error().empty() ? "" : args.error() + "\n") +
                       "usage: signet renew --due [--tenant SLUG] [--addr URL] [--token T] [--cacert FILE]");
  auto api = ApiClient::from(args);
  if (!api) return 2;
  const std::string query = args.flag("tenant") ? "?tenant=" + *args.flag("tenant") : "";
  auto ran = api->call("POST", "/v1/renewals/run" + query);
  if (!ran) return 1;
  for (const auto& r : ran->value("renewed", nlohmann::json::array()))
    std::cout << "renewed  " << r.value("id", "") << " -> " << r.value("replaced_by", "") << "\n";
  for (const auto& r : ran->value("pending", nlohmann::json::array()))
    std::cout << "pending  " << r.value("id", "") << " (request " << r.value("request_id", "") << ")\n";
  for (const auto& r : ran->value("failed", nlohmann::json::array()))
    std::cout << "failed   " << r.value("id", "") << ": " << r.value("error", nlohmann::json::object()).value("message", "") << "\n";
  std::cout << ran->value("renewed", nlohmann::json::array()).size() << " renewed, "
            << ran->value("pending", nlohmann::json::array()).size() << " pending, "
            << ran->value("failed", nlohmann::json::array()).size() << " failed\n";
  return ran->value("failed", nlohmann::json::array()).empty() ? 0 : 1;
}

}  // namespace signet::host
