// What `signet-plugin-check` (and `signet plugins check`) is asked to do.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::host::conformance {

// A `keys` instance the plugin under test may look up by name.
struct KeysInstance {
  std::string name;
  std::string library;
  std::string config_file;  // "" for an empty config
};

struct CheckOptions {
  std::string library;      // the plugin under test
  std::string config_file;  // its instance config (YAML, what goes under `config:`); "" for none
  std::string instance_name = "under-test";
  std::vector<KeysInstance> keys;
  std::string junit_file;
  std::vector<std::string> only;  // case names or prefixes ("ca.", "descriptor."); empty: all
  std::chrono::milliseconds call_bound{5000};
  std::chrono::seconds pending_wait{20};
  int threads = 8;
  nlohmann::json metadata = nlohmann::json::object();  // merged into every SignRequest's metadata
  bool verbose = false;
};

// Reads the command line after the program (or `plugins check`) words.
// Returns the options, or the usage error to print.
std::optional<CheckOptions> parse_check_options(int argc, char** argv, int first, std::string& error);

extern const char* const kCheckUsage;

// Runs the kit; the exit status: 0 all cases passed (or were skipped), 1 a
// case failed, 2 the kit could not run (bad arguments, a keys dependency
// that would not start, an unwritable JUnit file).
int run_check(const CheckOptions& options);

}  // namespace signet::host::conformance
