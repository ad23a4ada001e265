// signet reload: the running host reads its configuration file again and
// applies what may change live, or says every reason not
// (docs/operations.md, "Reloading"). Two ways to reach it:
//   over the API (POST /v1/reload), with --addr/--token/--cacert;
//   with --pid P, as the host's own user: SIGHUP to P, then the outcome the
//   host writes to reload.json in $RUNTIME_DIRECTORY (or --data-dir D).
//   That is signet.service's ExecReload, so `systemctl reload signet`
//   returns when the reload is done and fails when it was refused.
#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <fsutil/files.hpp>

#include "cli/commands.hpp"
#include "client/api_client.hpp"
#include "config/reload_plan.hpp"

namespace signet::host {
namespace {

std::string text_of(const std::string& path) {
  auto text = fsutil::read_file(path);
  return text ? text.value() : std::string();
}

int print_outcome(const nlohmann::json& outcome) {
  if (!outcome.value("applied", false)) {
    std::cerr << "signet: reload_refused: the configuration was not reloaded; the running one stays:\n";
    for (const auto& problem : outcome.value("problems", nlohmann::json::array()))
      std::cerr << problem.get<std::string>() << "\n";
    return 1;
  }
  const auto changed = outcome.value("changed", nlohmann::json::array());
  if (changed.empty()) std::cout << "reloaded: nothing changed\n";
  for (const auto& path : changed) std::cout << "reloaded: " << path.get<std::string>() << "\n";
  return 0;
}

int reload_by_signal(const std::string& pid_text, const std::string& data_dir) {
  const int pid = std::atoi(pid_text.c_str());
  if (pid <= 1) return usage_error("--pid must be the host's process id");
  const std::string status_file = reload_status_path(data_dir);
  const std::string before = text_of(status_file);
  if (::kill(pid, SIGHUP) != 0) {
    std::cerr << "signet: cannot signal process " << pid << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  // A reload takes milliseconds; a CA asked for the host's TLS certificate may take longer.
  for (int i = 0; i < 600; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string now = text_of(status_file);
    if (!now.empty() && now != before) {
      const auto outcome = nlohmann::json::parse(now, nullptr, false);
      if (!outcome.is_discarded()) return print_outcome(outcome);
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::cerr << "signet: process " << pid << " is gone\n";
      return 1;
    }
  }
  std::cerr << "signet: process " << pid << " wrote no reload outcome to " << status_file << " within 60 s\n";
  return 1;
}

}  // namespace

int command_reload(int argc, char** argv) {
  Args args(argc, argv, 2, {});
  std::set<std::string> known = ApiClient::connection_flags();
  known.insert({"pid", "data-dir"});
  const bool by_signal = args.flag("pid").has_value();
  const char* runtime = std::getenv("RUNTIME_DIRECTORY");
  const bool located = args.flag("data-dir") || (runtime && *runtime);
  if (!args.only(known) || !args.positional().empty() || (by_signal && !located) || (!by_signal && args.flag("data-dir")))
    return usage_error((args.error().empty() ? "" : args.error() + "\n") +
                       "usage: signet reload [--addr URL] [--token T] [--cacert FILE]\n"
                       "       signet reload --pid PID [--data-dir D]   (D: unless $RUNTIME_DIRECTORY is set)");
  if (by_signal) return reload_by_signal(*args.flag("pid"), args.flag("data-dir").value_or(""));
  auto api = ApiClient::from(args);
  if (!api) return 2;
  auto reloaded = api->call("POST", "/v1/reload");
  if (!reloaded) return 1;
  return print_outcome(*reloaded);
}

}  // namespace signet::host
