// A small command-line reader: positional words and --flag [value].
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace signet::host {

class Args {
 public:
  // `switches` are flags without a value (--dev, --force).
  Args(int argc, char** argv, int first, const std::set<std::string>& switches);

  std::optional<std::string> flag(const std::string& name) const;  // the last value given
  std::vector<std::string> all(const std::string& name) const;     // every value, in order
  bool has(const std::string& name) const { return flags_.count(name) > 0; }
  const std::vector<std::string>& positional() const { return positional_; }
  const std::string& error() const { return error_; }
  // Reports flags outside `known` as an error.
  bool only(const std::set<std::string>& known);

 private:
  std::map<std::string, std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  std::string error_;
};

}  // namespace signet::host
