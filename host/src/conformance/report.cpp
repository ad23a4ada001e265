#include "conformance/report.hpp"

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace signet::host::conformance {
namespace {

const char* label(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass: return "PASS";
    case Outcome::fail: return "FAIL";
    case Outcome::skip: return "SKIP";
  }
  return "?";
}

// XML 1.0 attribute and text escaping; control characters other than tab,
// newline and return are not allowed in XML 1.0 at all, so they become '?'.
std::string xml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? '?' : c;
    }
  }
  return out;
}

std::string seconds(std::chrono::duration<double> d) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << d.count();
  return out.str();
}

}  // namespace

void Report::add(CaseResult result) {
  std::lock_guard lock(mutex_);
  out_ << label(result.outcome) << "  " << result.name << "  (" << seconds(result.elapsed) << " s)";
  if (!result.reason.empty()) out_ << "  " << result.reason;
  out_ << std::endl;
  results_.push_back(std::move(result));
}

bool Report::failed() const {
  std::lock_guard lock(mutex_);
  for (const auto& r : results_)
    if (r.outcome == Outcome::fail) return true;
  return false;
}

void Report::summary() const {
  std::lock_guard lock(mutex_);
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& r : results_) (r.outcome == Outcome::pass ? passed : r.outcome == Outcome::fail ? failed : skipped)++;
  out_ << plugin_ << ": " << passed << " passed, " << failed << " failed, " << skipped << " skipped" << std::endl;
}

bool Report::write_junit(const std::string& path) const {
  std::lock_guard lock(mutex_);
  int failures = 0, skipped = 0;
  std::chrono::duration<double> total{0};
  for (const auto& r : results_) {
    failures += r.outcome == Outcome::fail;
    skipped += r.outcome == Outcome::skip;
    total += r.elapsed;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites>\n<testsuite name=\"" << xml(plugin_) << "\" tests=\"" << results_.size() << "\" failures=\""
      << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds(total) << "\">\n";
  for (const auto& r : results_) {
    out << "  <testcase classname=\"" << xml(plugin_) << "\" name=\"" << xml(r.name) << "\" time=\"" << seconds(r.elapsed) << "\"";
    if (r.outcome == Outcome::pass) {
      out << "/>\n";
      continue;
    }
    const char* tag = r.outcome == Outcome::fail ? "failure" : "skipped";
    out << ">\n    <" << tag << " message=\"" << xml(r.reason) << "\"/>\n  </testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::trunc);
    if (!(file << out.str())) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace signet::host::conformance
