// The outcome of a conformance run: one line per case as it finishes, and
// a JUnit XML file for CI systems.
#pragma once

#include <chrono>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

namespace signet::host::conformance {

enum class Outcome { pass, fail, skip };

struct CaseResult {
  std::string name;    // "ca.idempotent": stable, documented in docs/plugin-conformance.md
  Outcome outcome = Outcome::pass;
  std::string reason;  // why it failed or was skipped; what was seen when it passed
  std::chrono::duration<double> elapsed{0};
};

class Report {
 public:
  Report(std::ostream& out, std::string plugin) : out_(out), plugin_(std::move(plugin)) {}

  // Prints "PASS  ca.sign  (0.012 s) reason" at once, so a crash later
  // still leaves what ran on the terminal.
  void add(CaseResult result);

  bool failed() const;
  const std::vector<CaseResult>& results() const { return results_; }
  // Prints the totals line.
  void summary() const;
  // JUnit XML (the Ant schema CI systems read): one testsuite, one testcase
  // per case, <failure> or <skipped> with the reason. Returns false when the
  // file cannot be written.
  bool write_junit(const std::string& path) const;

 private:
  std::ostream& out_;
  std::string plugin_;
  mutable std::mutex mutex_;
  std::vector<CaseResult> results_;
};

}  // namespace signet::host::conformance
