#include "pipeline/issue_request.hpp"

namespace signet::host {
namespace {

std::vector<std::string> strings_at(const nlohmann::json& j, const char* key) {
  return j.contains(key) ? j.at(key).get<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace

nlohmann::json to_json(const IssueRequest& r) {
  return {{"profile", r.profile}, {"common_name", r.common_name},
          {"sans", {{"dns", r.dns}, {"ip", r.ip}, {"email", r.email}, {"uri", r.uri}}},
          {"ttl_ms", r.ttl.count()}, {"max_ttl_ms", r.max_ttl.count()}, {"csr", r.csr},
          {"key_usage", r.key_usage}, {"extended_key_usage", r.extended_key_usage}, {"metadata", r.metadata}};
}

IssueRequest issue_request_from(const nlohmann::json& in) {
  IssueRequest r;
  r.profile = in.value("profile", "");
  r.common_name = in.value("common_name", "");
  const auto sans = in.value("sans", nlohmann::json::object());
  r.dns = strings_at(sans, "dns");
  r.ip = strings_at(sans, "ip");
  r.email = strings_at(sans, "email");
  r.uri = strings_at(sans, "uri");
  r.ttl = std::chrono::milliseconds(in.value("ttl_ms", 0LL));
  r.max_ttl = std::chrono::milliseconds(in.value("max_ttl_ms", 0LL));
  r.csr = in.value("csr", "");
  r.key_usage = strings_at(in, "key_usage");
  r.extended_key_usage = strings_at(in, "extended_key_usage");
  r.metadata = in.value("metadata", nlohmann::json::object());
  return r;
}

}  // namespace signet::host
