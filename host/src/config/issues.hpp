// Configuration problems, each tied to a file and line.
#pragma once

#include <string>
#include <vector>

namespace signet::host {

struct ConfigIssue {
  std::string file;
  int line = 0;  // 1-based; 0 when no line applies
  std::string message;

  std::string to_string() const {
    return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
  }
};

class ConfigIssues {
 public:
  explicit ConfigIssues(std::string file) : file_(std::move(file)) {}
  void add(int line, std::string message) { issues_.push_back({file_, line, std::move(message)}); }
  bool empty() const { return issues_.empty(); }
  const std::vector<ConfigIssue>& all() const { return issues_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<ConfigIssue> issues_;
};

}  // namespace signet::host
