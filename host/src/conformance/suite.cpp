#include "conformance/suite.hpp"

#include <array>
#include <exception>

namespace signet::host::conformance {

bool Suite::selected(const std::string& name) const {
  // Loading and starting the instance as the host does come before any
  // case can run.
  if (options.only.empty() || name.starts_with("descriptor.") || name.starts_with("config.") ||
      name.starts_with("instance.") || name == "ca.initialize")
    return true;
  for (const auto& wanted : options.only) {
    if (name == wanted) return true;
    if (!wanted.empty() && name.starts_with(wanted) && (wanted.back() == '.' || name[wanted.size()] == '.')) return true;
  }
  return false;
}

bool Suite::run(const std::string& name, const std::function<Verdict()>& body) {
  if (!selected(name)) return true;
  set_current_case(name);
  const auto start = Clock::now();
  Verdict verdict;
  try {
    verdict = body();
  } catch (const std::exception& e) {
    verdict = Verdict::fail(std::string("the kit itself failed: ") + e.what());
  }
  report.add({name, verdict.outcome, verdict.reason, Clock::now() - start});
  return verdict.outcome != Outcome::fail;
}

std::string one_line(std::string text) {
  constexpr std::size_t kMax = 200;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) c = '?';
  return text;
}

std::string describe(const Error& error) { return one_line(std::string(to_string(error.code)) + ": " + error.message); }

std::string Suite::unique(const std::string& prefix) const {
  std::array<std::uint8_t, 8> bytes{};
  services.random().fill(bytes);
  std::string out = prefix + "-";
  for (const auto b : bytes) {
    static const char* digits = "0123456789abcdef";
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

}  // namespace signet::host::conformance
