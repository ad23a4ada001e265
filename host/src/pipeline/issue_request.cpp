#include "pipeline/issue_request.hpp"

#include "util/time.hpp"

namespace signet::host {
namespace {

// Every step reads the input again: members are looked up in place, not
// copied out with json::value (which copies a whole object).
const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto found = j.find(key);
  return found == j.end() ? kEmpty : *found;
}

std::vector<std::string> strings_at(const nlohmann::json& j, const char* key) {
  const auto found = j.find(key);
  return found == j.end() ? std::vector<std::string>{} : found->get<std::vector<std::string>>();
}

}  // namespace

nlohmann::json to_json(const IssueRequest& r) {
  nlohmann::json j = {{"profile", r.profile}, {"common_name", r.common_name},
          {"sans", {{"dns", r.dns}, {"ip", r.ip}, {"email", r.email}, {"uri", r.uri}}},
          {"ttl_ms", r.ttl.count()}, {"max_ttl_ms", r.max_ttl.count()}, {"csr", r.csr},
          {"key", {{"type", r.key_type}, {"bits", r.key_bits}, {"curve", r.key_curve}}},
          {"key_usage", r.key_usage}, {"extended_key_usage", r.extended_key_usage}, {"metadata", r.metadata}, {"renews", r.renews}, {"service", r.service}};
  if (r.auto_renew) j["auto_renew"] = true;
  if (r.not_after_use) j["not_after_use_ms"] = to_unix_ms(*r.not_after_use);
  if (r.external_ref.is_object()) j["external_ref"] = r.external_ref;
  if (!r.lineage.empty()) j["lineage"] = r.lineage;
  return j;
}

IssueRequest issue_request_from(const nlohmann::json& in) {
  IssueRequest r;
  r.profile = in.value("profile", "");
  r.common_name = in.value("common_name", "");
  const nlohmann::json& sans = member(in, "sans");
  r.dns = strings_at(sans, "dns");
  r.ip = strings_at(sans, "ip");
  r.email = strings_at(sans, "email");
  r.uri = strings_at(sans, "uri");
  r.ttl = std::chrono::milliseconds(in.value("ttl_ms", 0LL));
  r.max_ttl = std::chrono::milliseconds(in.value("max_ttl_ms", 0LL));
  r.csr = in.value("csr", "");
  const nlohmann::json& key = member(in, "key");
  r.key_type = key.value("type", "");
  r.key_bits = key.value("bits", 0);
  r.key_curve = key.value("curve", "");
  r.key_usage = strings_at(in, "key_usage");
  r.extended_key_usage = strings_at(in, "extended_key_usage");
  r.metadata = member(in, "metadata");
  r.service = in.value("service", "");
  r.renews = in.value("renews", "");
  r.lineage = in.value("lineage", "");
  r.auto_renew = in.value("auto_renew", false);
  if (in.contains("not_after_use_ms")) r.not_after_use = from_unix_ms(in.at("not_after_use_ms").get<long long>());
  if (const auto ref = in.find("external_ref"); ref != in.end() && ref->is_object()) r.external_ref = *ref;
  return r;
}

std::string bundle_path(const std::string& tenant_id, const std::string& certificate_id) {
  return "tenants/" + tenant_id + "/certificates/" + certificate_id + "/bundle";
}

}  // namespace signet::host
