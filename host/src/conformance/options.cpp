#include "conformance/options.hpp"

#include <charconv>

#include "client/args.hpp"

namespace signet::host::conformance {

const char* const kCheckUsage =
    "usage: signet-plugin-check [options] LIBRARY.so [CONFIG.yaml]\n"
    "  CONFIG.yaml              the instance's config (what goes under `config:` in signet.yaml)\n"
    "  --keys NAME=LIB[:CFG]    a keys instance the plugin may use (repeatable)\n"
    "  --junit FILE             also write the results as JUnit XML\n"
    "  --case NAME              run only cases named so or starting so (repeatable): --case ca.\n"
    "  --call-bound MS          the longest a call may block (default 5000)\n"
    "  --pending-wait S         how long to follow Pending tickets (default 20)\n"
    "  --threads N              threads of the concurrency cases (default 8)\n"
    "  --metadata JSON          merged into every sign request's metadata\n"
    "  --instance NAME          the instance name the plugin is given (default under-test)\n"
    "  --verbose                the plugin's info logs too\n";

namespace {

std::optional<long> number(const std::string& text, long min, long max) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
  return value;
}

std::optional<KeysInstance> keys_instance(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) return std::nullopt;
  KeysInstance keys{text.substr(0, equals), text.substr(equals + 1), ""};
  if (const auto colon = keys.library.find(':'); colon != std::string::npos) {
    keys.config_file = keys.library.substr(colon + 1);
    keys.library = keys.library.substr(0, colon);
  }
  return keys;
}

}  // namespace

std::optional<CheckOptions> parse_check_options(int argc, char** argv, int first, std::string& error) {
  auto fail = [&](std::string message) -> std::optional<CheckOptions> {
    error = std::move(message);
    return std::nullopt;
  };
  Args args(argc, argv, first, {"verbose"});
  if (!args.only({"keys", "junit", "case", "call-bound", "pending-wait", "threads", "metadata", "instance", "verbose"}))
    return fail(args.error());
  const auto& positional = args.positional();
  if (positional.empty() || positional.size() > 2) return fail("expected LIBRARY.so and at most one CONFIG.yaml");
  CheckOptions options;
  options.library = positional[0];
  if (positional.size() == 2) options.config_file = positional[1];
  for (const auto& text : args.all("keys")) {
    auto keys = keys_instance(text);
    if (!keys) return fail("--keys " + text + ": expected NAME=LIBRARY[:CONFIG]");
    options.keys.push_back(*keys);
  }
  options.junit_file = args.flag("junit").value_or("");
  options.only = args.all("case");
  options.instance_name = args.flag("instance").value_or(options.instance_name);
  options.verbose = args.has("verbose");
  if (auto text = args.flag("call-bound")) {
    auto ms = number(*text, 1, 3'600'000);
    if (!ms) return fail("--call-bound takes milliseconds, 1 to 3600000");
    options.call_bound = std::chrono::milliseconds(*ms);
  }
  if (auto text = args.flag("pending-wait")) {
    auto s = number(*text, 0, 3600);
    if (!s) return fail("--pending-wait takes seconds, 0 to 3600");
    options.pending_wait = std::chrono::seconds(*s);
  }
  if (auto text = args.flag("threads")) {
    auto n = number(*text, 1, 256);
    if (!n) return fail("--threads takes 1 to 256");
    options.threads = static_cast<int>(*n);
  }
  if (auto text = args.flag("metadata")) {
    options.metadata = nlohmann::json::parse(*text, nullptr, false);
    if (!options.metadata.is_object()) return fail("--metadata takes a JSON object");
  }
  return options;
}

}  // namespace signet::host::conformance
