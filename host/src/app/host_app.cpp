#include "app/host_app.hpp"

#include <csignal>
#include <iostream>

#include <systemd/sd-daemon.h>

#include "app/host.hpp"

namespace signet::host {
namespace {

// The signals the main thread waits for: the stop signals, and SIGHUP
// (systemctl reload), which must never end the host.
sigset_t awaited_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// Stops the first `count` stages, last first.
void stop_stages(Host& host, std::size_t count) {
  const auto& stages = Host::stages();
  for (std::size_t i = count; i-- > 0;)
    if (stages[i].stop) (host.*stages[i].stop)();
}

}  // namespace

std::string refusal_line(const std::string& message) { return "signet: " + message; }

int refuse(const std::string& message) {
  std::cerr << refusal_line(message) << "\n";
  return 1;
}

int serve(const Config& config, const ServeOptions& options) {
  // Block the awaited signals in every thread; the main thread waits for them.
  const sigset_t awaited = awaited_signals();
  pthread_sigmask(SIG_BLOCK, &awaited, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Host host(config, options);
  const auto& stages = Host::stages();
  for (std::size_t i = 0; i < stages.size(); ++i) {
    host.log().debug("starting", {{"stage", stages[i].name}});
    if (auto refusal = (host.*stages[i].start)()) {
      for (const auto& line : *refusal) std::cerr << line << "\n";
      stop_stages(host, i + 1);  // a stage stops whatever part of it started
      return 1;
    }
  }
  // systemd's Type=notify (deploy/systemd/signet.service): ready once every
  // listener is bound and serving; a no-op without $NOTIFY_SOCKET.
  sd_notify(0, "READY=1\nSTATUS=serving");
  int signal = 0;
  while (sigwait(&awaited, &signal) == 0 && signal == SIGHUP) {
    // systemctl reload (ExecReload): the file read again and applied live,
    // or refused with every problem logged; serving all along.
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
    const auto outcome = host.reload({"", "", "signal", "SIGHUP", ""});
    sd_notify(0, outcome.applied ? "READY=1\nSTATUS=serving" : "READY=1\nSTATUS=serving; the last reload was refused (see the log)");
  }
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
  host.log().info("signet is stopping");
  stop_stages(host, stages.size());
  return 0;
}

}  // namespace signet::host
