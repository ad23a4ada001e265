// What the whole run saw, judged last: no exception crossed the boundary,
// every error was one the host can act on, and no call blocked (a plugin
// answers Pending and returns; it never sleeps, docs/plugin-authoring.md).
#include "conformance/suite.hpp"

namespace signet::host::conformance {
namespace {

std::string first_and_count(const std::vector<std::string>& lines) {
  std::string out = lines.front();
  if (lines.size() > 1) out += " (and " + std::to_string(lines.size() - 1) + " more)";
  return out;
}

}  // namespace

void run_boundary_cases(Suite& suite) {
  suite.run("boundary.no_exceptions", [&] {
    const auto thrown = suite.calls.exceptions();
    if (!thrown.empty()) return Verdict::fail("an exception crossed the plugin boundary: " + first_and_count(thrown));
    return Verdict::pass();
  });
  suite.run("errors.well_formed", [&] {
    const auto malformed = suite.calls.malformed_errors();
    if (!malformed.empty()) return Verdict::fail(first_and_count(malformed));
    return Verdict::pass();
  });
  suite.run("timing.no_blocking", [&] {
    const auto slow = suite.calls.slow_calls();
    if (!slow.empty())
      return Verdict::fail("calls blocked longer than " + std::to_string(suite.calls.bound().count()) +
                           " ms (answer Pending instead of waiting): " + first_and_count(slow));
    std::string what;
    const auto slowest = suite.calls.slowest(&what);
    return Verdict::pass("slowest call: " + (what.empty() ? std::string("none") : what) + ", " +
                         std::to_string(slowest.count()) + " ms");
  });
}

}  // namespace signet::host::conformance
