#include "paths.hpp"

#include <algorithm>
#include <string_view>

#include <secretstore/secret_path.hpp>

namespace signet::store_vault {
namespace {

bool path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// A value put into one segment: path-safe characters only, never "." or "..".
std::string segment_of(const std::string& value) {
  std::string out = value.substr(0, 200);
  std::replace_if(out.begin(), out.end(), [](char c) { return !path_char(c); }, '_');
  if (out == "." || out == "..") out = std::string(out.size(), '_');
  return out;
}

// What a variable renders as; nullopt when the bundle's metadata lacks it.
std::optional<std::string> value_of(const std::string& name, const nlohmann::json& m, const std::string& default_service) {
  auto text = [&](const char* key) { return m.contains(key) && m.at(key).is_string() ? m.at(key).get<std::string>() : ""; };
  std::string value;
  if (name == "service") value = text("service").empty() ? default_service : text("service");
  else if (name == "certificate_id") value = text("lineage").empty() ? text("certificate_id") : text("lineage");
  else if (name == "tenant_id" || name == "common_name" || name == "profile") value = text(name.c_str());
  else return std::nullopt;
  if (value.empty() && name == "certificate_id") return std::nullopt;  // no path of its own: never shared
  return value.empty() ? "_" : segment_of(value);  // a certificate without a common name still has a path
}

bool known_variable(const std::string& name) {
  return std::any_of(std::begin(kTemplateVariables), std::end(kTemplateVariables), [&](const char* v) { return name == v; });
}

// Replaces each {name} by render(name); nullopt when render gives nullopt.
template <class Render>
std::optional<std::string> expand(const std::string& path_template, Render render) {
  std::string out;
  for (std::size_t i = 0; i < path_template.size();) {
    if (path_template[i] != '{') {
      out += path_template[i++];
      continue;
    }
    const auto close = path_template.find('}', i);
    if (close == std::string::npos) return std::nullopt;
    auto value = render(path_template.substr(i + 1, close - i - 1));
    if (!value) return std::nullopt;
    out += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace

Result<void> check_store_path(const std::string& path) {
  if (secretstore::valid_secret_path(path)) return {};
  return make_error(ErrorCode::invalid_argument,
                    "store-vault paths are 1 to 512 bytes of segments of A-Z a-z 0-9 . _ - (no empty, '.' or '..' "
                    "segment) joined by '/'");
}

std::string template_problem(const std::string& path_template) {
  std::string unknown;
  const auto rendered = expand(path_template, [&](const std::string& name) -> std::optional<std::string> {
    if (!known_variable(name)) unknown = name;
    return std::string("x");
  });
  if (!unknown.empty()) return "{" + unknown + "} is not a variable (service, certificate_id, tenant_id, common_name, profile)";
  if (!rendered) return "a '{' is not closed";
  if (auto valid = check_store_path(*rendered); !valid) return "it renders to an invalid path: " + valid.error().message;
  return {};
}

std::optional<std::string> render_delivery_path(const std::string& path_template, const nlohmann::json& metadata,
                                                const std::string& default_service) {
  return expand(path_template, [&](const std::string& name) { return value_of(name, metadata, default_service); });
}

}  // namespace signet::store_vault
