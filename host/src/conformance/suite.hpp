// What every conformance case sees: the plugin instance, the host services
// it was made with, the calls made so far, and where results go.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <signet/sdk.hpp>

#include "conformance/calls.hpp"
#include "conformance/options.hpp"
#include "conformance/recording_ledger.hpp"
#include "conformance/report.hpp"

namespace signet::host::conformance {

struct Verdict {
  Outcome outcome = Outcome::pass;
  std::string reason;
  static Verdict pass(std::string reason = "") { return {Outcome::pass, std::move(reason)}; }
  static Verdict fail(std::string reason) { return {Outcome::fail, std::move(reason)}; }
  static Verdict skip(std::string reason) { return {Outcome::skip, std::move(reason)}; }
};

class Suite {
 public:
  Suite(const CheckOptions& check_options, Report& results, Calls& plugin_calls, HostServices& host_services,
        RecordingLedger& issuance_ledger)
      : options(check_options), report(results), calls(plugin_calls), services(host_services), ledger(issuance_ledger) {}

  const CheckOptions& options;
  Report& report;
  Calls& calls;
  HostServices& services;
  RecordingLedger& ledger;
  const signet_plugin_descriptor* descriptor = nullptr;
  std::shared_ptr<Plugin> instance;

  bool announces(std::uint64_t capability) const { return descriptor && (descriptor->capabilities & capability) != 0; }
  // Whether --case lets `name` run.
  bool selected(const std::string& name) const;
  // Runs `body` as the case `name` (when selected): times it, turns an
  // exception of the kit itself into a failure, and reports the verdict.
  // Returns whether the case passed (or was skipped); false when it failed.
  bool run(const std::string& name, const std::function<Verdict()>& body);
  // A fresh unique string for ids and paths: "conformance-<random hex>".
  std::string unique(const std::string& prefix = "conformance") const;
};

// The case running now, for the crash and hang messages (kept in a static
// buffer a signal handler may read).
void set_current_case(const std::string& name);
const char* current_case();

// Plugin text as a verdict may quote it: one line of printable ASCII, at
// most 200 characters (a plugin's answer may be huge or binary).
std::string one_line(std::string text);
// An error as verdicts name it: "code: message", on one line.
std::string describe(const Error& error);

// What the host does with a new instance before it serves: a `manage` CA
// is initialised (ca.initialize). Runs before instance.health.
void run_ca_start(Suite& suite);
void run_instance_health(Suite& suite);

// The cases of each kind; they run after the instance was created.
void run_ca_cases(Suite& suite);
void run_store_cases(Suite& suite);
void run_notifier_cases(Suite& suite);
// A notifier's RequestSource (SDK 1.2), when it has one; skipped otherwise.
void run_intake_cases(Suite& suite, Notifier& notifier);
void run_keys_cases(Suite& suite);
// What the whole run saw: exceptions, malformed errors, slow calls. Last.
void run_boundary_cases(Suite& suite);

}  // namespace signet::host::conformance
