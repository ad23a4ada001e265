#include "secretstore/secret_path.hpp"

#include <algorithm>
#include <cctype>

namespace signet::secretstore {

bool valid_secret_path(std::string_view path) {
  if (path.empty() || path.size() > 512) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    start = slash + 1;
  }
  return true;
}

}  // namespace signet::secretstore
