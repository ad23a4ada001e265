#include "config/yaml_section.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/time.hpp"

namespace signet::host {

bool is_map(const YAML::Node& node) { return node.IsDefined() && node.IsMap(); }

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

namespace {

std::optional<std::string> resolve_reference(const std::string& ref, std::string& out) {
  if (ref.rfind("env:", 0) == 0) {
    // ${env:NAME:-default}: the default when NAME is unset or empty, as in the shell.
    const std::size_t dash = ref.find(":-", 4);
    const std::string name = ref.substr(4, dash == std::string::npos ? std::string::npos : dash - 4);
    const char* value = std::getenv(name.c_str());
    if (dash != std::string::npos && (!value || !*value)) {
      out += ref.substr(dash + 2);
      return std::nullopt;
    }
    if (!value) return "environment variable " + name + " is not set";
    out += value;
    return std::nullopt;
  }
  if (ref.rfind("file:", 0) == 0) {
    const std::string path = ref.substr(5);
    std::ifstream in(path, std::ios::binary);
    if (!in) return "cannot read file " + path;
    std::ostringstream text;
    text << in.rdbuf();
    std::string content = text.str();
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    out += content;
    return std::nullopt;
  }
  return "unknown reference ${" + ref + "} (use ${env:NAME} or ${file:PATH})";
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::uint64_t number = std::stoull(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "B") return number;
  if (unit == "KiB") return number << 10;
  if (unit == "MiB") return number << 20;
  if (unit == "GiB") return number << 30;
  if (unit == "KB") return number * 1000;
  if (unit == "MB") return number * 1000 * 1000;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> interpolate(const std::string& text, std::string& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = text.find("${", pos);
    if (start == std::string::npos) break;
    const std::size_t end = text.find('}', start);
    if (end == std::string::npos) return "unterminated ${ reference";
    out += text.substr(pos, start - pos);
    if (auto error = resolve_reference(text.substr(start + 2, end - start - 2), out)) return error;
    pos = end + 1;
  }
  out += text.substr(pos);
  return std::nullopt;
}

YamlSection::YamlSection(const YAML::Node& node, std::string where, ConfigIssues& issues)
    : node_(node), where_(std::move(where)), issues_(issues) {
  if (node_.IsDefined() && !node_.IsNull() && !is_map(node_))
    issues_.add(line_of(node_), (where_.empty() ? std::string("the file") : where_) + " must be a mapping");
}

bool YamlSection::has(const std::string& key) const {
  return is_map(node_) && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node YamlSection::node(const std::string& key) {
  known_.insert(key);
  if (!is_map(node_)) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& const_node = node_;
  const YAML::Node found = const_node[key];
  // A missing key yields an "invalid" node that throws when assigned; hand
  // out a plain undefined one instead.
  return found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> YamlSection::scalar(const std::string& key, const char* expected) {
  const YAML::Node value = node(key);
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  if (!value.IsScalar()) {
    issues_.add(line_of(value), qualified(key) + " must be " + expected);
    return std::nullopt;
  }
  std::string resolved;
  if (auto error = interpolate(value.Scalar(), resolved)) {
    issues_.add(line_of(value), qualified(key) + ": " + *error);
    return std::nullopt;
  }
  return resolved;
}

std::optional<std::string> YamlSection::string(const std::string& key, bool required) {
  auto value = scalar(key, "a string");
  if (!value && required && !has(key)) issues_.add(line(), "missing required key " + qualified(key));
  return value;
}

// The value as written in the file: messages quote it, never what a
// ${env:}/${file:} reference resolved to (that may be a secret).
std::string YamlSection::raw(const std::string& key) {
  const YAML::Node value = node(key);
  return value.IsDefined() && value.IsScalar() ? value.Scalar() : std::string();
}

std::optional<bool> YamlSection::boolean(const std::string& key) {
  const auto text = scalar(key, "true or false");
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  issues_.add(line_of(node(key)), qualified(key) + " must be true or false, got \"" + raw(key) + "\"");
  return std::nullopt;
}

std::optional<std::int64_t> YamlSection::integer(const std::string& key, std::int64_t min, std::int64_t max) {
  const auto text = scalar(key, "an integer");
  if (!text) return std::nullopt;
  std::size_t used = 0;
  std::int64_t number = 0;
  try {
    number = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text->size()) {
    issues_.add(line_of(node(key)), qualified(key) + " must be an integer, got \"" + raw(key) + "\"");
    return std::nullopt;
  }
  if (number < min || number > max) {
    issues_.add(line_of(node(key)), qualified(key) + " must be between " + std::to_string(min) +
                                        " and " + std::to_string(max) + ", got " + raw(key));
    return std::nullopt;
  }
  return number;
}

std::optional<std::chrono::milliseconds> YamlSection::duration(const std::string& key) {
  const auto text = scalar(key, "a duration");
  if (!text) return std::nullopt;
  if (auto parsed = parse_duration(*text)) return parsed;
  issues_.add(line_of(node(key)), qualified(key) + " must be a duration such as 30s, 5m, 720h or 90d, got \"" + raw(key) + "\"");
  return std::nullopt;
}

std::optional<std::uint64_t> YamlSection::size(const std::string& key) {
  const auto text = scalar(key, "a size");
  if (!text) return std::nullopt;
  if (auto parsed = parse_size(*text)) return parsed;
  issues_.add(line_of(node(key)), qualified(key) + " must be a size such as 65536, 64KiB or 1MiB, got \"" + raw(key) + "\"");
  return std::nullopt;
}

std::vector<std::string> YamlSection::strings(const std::string& key) {
  const YAML::Node list = node(key);
  std::vector<std::string> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) {
    issues_.add(line_of(list), qualified(key) + " must be a list");
    return out;
  }
  for (const auto& item : list) {
    std::string resolved;
    if (!item.IsScalar()) {
      issues_.add(line_of(item), qualified(key) + " must hold only strings");
    } else if (auto error = interpolate(item.Scalar(), resolved)) {
      issues_.add(line_of(item), qualified(key) + ": " + *error);
    } else {
      out.push_back(resolved);
    }
  }
  return out;
}

YamlSection YamlSection::section(const std::string& key) {
  return YamlSection(node(key), qualified(key), issues_);
}

void YamlSection::finish() {
  if (!is_map(node_)) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (known_.count(key) == 0) {
      std::string expected;
      for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
      issues_.add(line_of(entry.first), "unknown key " + qualified(key) + " (expected one of: " + expected + ")");
    }
  }
}

}  // namespace signet::host
