#include "client/args.hpp"

namespace signet::host {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& switches) {
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      positional_.push_back(word);
      continue;
    }
    word = word.substr(2);
    const auto eq = word.find('=');
    if (eq != std::string::npos) {
      flags_[word.substr(0, eq)] = word.substr(eq + 1);
      values_[word.substr(0, eq)].push_back(word.substr(eq + 1));
    } else if (switches.count(word)) {
      flags_[word] = "true";
    } else if (i + 1 < argc) {
      flags_[word] = argv[++i];
      values_[word].push_back(argv[i]);
    } else {
      error_ = "--" + word + " needs a value";
    }
  }
}

std::optional<std::string> Args::flag(const std::string& name) const {
  const auto it = flags_.find(name);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Args::only(const std::set<std::string>& known) {
  for (const auto& [name, value] : flags_)
    if (!known.count(name)) {
      error_ = "unknown option --" + name;
      return false;
    }
  return error_.empty();
}

}  // namespace signet::host
