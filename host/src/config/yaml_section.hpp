// Reads one YAML mapping of the host configuration: typed getters that
// report wrong types with their line, ${env:NAME} / ${file:PATH} references
// resolved in every scalar, and unknown keys reported by finish().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/issues.hpp"

namespace signet::host {

int line_of(const YAML::Node& node);
// IsMap() throws on a missing node; this does not.
bool is_map(const YAML::Node& node);

// Replaces ${env:NAME} and ${file:PATH} in text; returns an error message
// when a variable is unset or a file cannot be read. A file's trailing
// newline is dropped.
std::optional<std::string> interpolate(const std::string& text, std::string& out);

class YamlSection {
 public:
  // `where` names the section in messages ("server.tls").
  YamlSection(const YAML::Node& node, std::string where, ConfigIssues& issues);

  bool has(const std::string& key) const;
  YAML::Node node(const std::string& key);  // marks the key as known

  std::optional<std::string> string(const std::string& key, bool required = false);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
  std::optional<std::chrono::milliseconds> duration(const std::string& key);
  std::optional<std::uint64_t> size(const std::string& key);  // 1048576, "1MiB", "16KiB"
  std::vector<std::string> strings(const std::string& key);   // a list of scalars
  YamlSection section(const std::string& key);                 // a nested mapping (may be absent)

  // Reports every key that no getter asked for.
  void finish();

  int line() const { return line_of(node_); }
  const std::string& where() const { return where_; }
  ConfigIssues& issues() { return issues_; }
  void error(int line, const std::string& message) { issues_.add(line, message); }
  std::string qualified(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

 private:
  std::optional<std::string> scalar(const std::string& key, const char* expected);
  std::string raw(const std::string& key);

  YAML::Node node_;
  std::string where_;
  ConfigIssues& issues_;
  std::set<std::string> known_;
};

}  // namespace signet::host
