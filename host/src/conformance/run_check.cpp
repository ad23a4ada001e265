#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include "conformance/load_cases.hpp"
#include "conformance/options.hpp"
#include "plugins/instances.hpp"
#include "services/host_services.hpp"

namespace signet::host::conformance {
namespace {

char g_current_case[160] = "loading";

// A plugin that crashes takes the kit with it; say where before going.
// Only async-signal-safe calls here (write, _exit).
void on_crash(int signal) {
  const char* head = "FAIL  ";
  const char* tail = "  the plugin crashed the process (signal ";
  [[maybe_unused]] ssize_t n = ::write(1, head, std::strlen(head));
  n = ::write(1, g_current_case, std::strlen(g_current_case));
  n = ::write(1, tail, std::strlen(tail));
  char digits[4] = {static_cast<char>('0' + signal / 10 % 10), static_cast<char>('0' + signal % 10), ')', '\n'};
  const bool one_digit = signal < 10;
  n = ::write(1, digits + one_digit, sizeof digits - one_digit);
  ::_exit(1);
}

void catch_crashes() {
  for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) std::signal(s, on_crash);
}

// The `keys` instances the plugin under test may look up, made the way the
// host makes them (PluginInstances), so their refusals read the same.
std::optional<PluginInstances> make_key_providers(const CheckOptions& options, HostServicesImpl& services) {
  Config config;
  config.file = "--keys";
  for (const auto& keys : options.keys) {
    InstanceConfig instance;
    instance.name = keys.name;
    instance.kind = PluginKind::keys;
    instance.library = keys.library;
    try {
      instance.config = keys.config_file.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::LoadFile(keys.config_file);
    } catch (const YAML::Exception& e) {
      std::cerr << "signet-plugin-check: --keys " << keys.name << ": " << keys.config_file << ": " << e.what() << "\n";
      return std::nullopt;
    }
    config.instances.push_back(std::move(instance));
  }
  std::vector<std::string> errors;
  PluginInstances made = PluginInstances::create(config, services, errors);
  for (const auto& e : errors) std::cerr << "signet-plugin-check: " << e << "\n";
  if (!errors.empty()) return std::nullopt;
  return made;
}

void run_kind_cases(Suite& suite) {
  switch (suite.descriptor->kind) {
    case SIGNET_KIND_CA: run_ca_cases(suite); break;
    case SIGNET_KIND_STORE: run_store_cases(suite); break;
    case SIGNET_KIND_NOTIFIER: run_notifier_cases(suite); break;
    case SIGNET_KIND_KEYS: run_keys_cases(suite); break;
  }
}

}  // namespace

void set_current_case(const std::string& name) {
  std::strncpy(g_current_case, name.c_str(), sizeof g_current_case - 1);
}
const char* current_case() { return g_current_case; }

int run_check(const CheckOptions& options) {
  if (!options.config_file.empty() && !std::filesystem::is_regular_file(options.config_file)) {
    std::cerr << "signet-plugin-check: " << options.config_file << ": no such config file\n";
    return 2;
  }
  // A crash writes no JUnit file: leave none from an earlier run to be read.
  std::error_code ignored;
  if (!options.junit_file.empty()) std::filesystem::remove(options.junit_file, ignored);
  catch_crashes();
  HostServicesImpl services(options.verbose ? LogLevel::info : LogLevel::warn);
  RecordingLedger ledger;
  services.set_ledger(&ledger);
  auto key_providers = make_key_providers(options, services);
  if (!key_providers) return 2;

  Report report(std::cout, std::filesystem::path(options.library).filename().string());
  Calls calls(options.call_bound);
  // A call that never returns would hang CI: give up on it, loudly.
  const auto hang_limit = std::max(std::chrono::seconds(60), std::chrono::duration_cast<std::chrono::seconds>(options.call_bound * 10));
  calls.watch(hang_limit, [&](const std::string& what, std::chrono::seconds elapsed) {
    report.add({current_case(), Outcome::fail, what + " has not returned after " + std::to_string(elapsed.count()) + " s", elapsed});
    report.summary();
    if (!options.junit_file.empty()) report.write_junit(options.junit_file);
    std::_Exit(1);
  });

  std::optional<PluginLibrary> library;
  nlohmann::json config;
  {
    Suite suite(options, report, calls, services, ledger);
    library = run_descriptor_cases(suite);
    if (library && run_instance_cases(suite, *library, config)) {
      if (suite.descriptor->kind == SIGNET_KIND_CA) run_ca_start(suite);
      run_instance_health(suite);
      run_kind_cases(suite);
      run_boundary_cases(suite);
    }
    set_current_case("instance teardown (the plugin's destructor)");
  }  // the instance goes before its library does

  report.summary();
  if (!options.junit_file.empty() && !report.write_junit(options.junit_file)) {
    std::cerr << "signet-plugin-check: cannot write " << options.junit_file << "\n";
    return 2;
  }
  return report.failed() ? 1 : 0;
}

}  // namespace signet::host::conformance
