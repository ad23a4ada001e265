#include "api/request_bodies.hpp"

#include <algorithm>
#include <set>

#include "pipeline/issue_body.hpp"
#include "pipeline/revoke_request.hpp"
#include "util/networks.hpp"
#include "util/time.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

std::string reason_list() {
  std::string out;
  for (const auto& n : revocation_reason_names()) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace


namespace {

constexpr std::chrono::hours kDefaultTokenTtl{24 * 30};
constexpr std::chrono::hours kMaxTokenTtl{24 * 365};
constexpr std::size_t kMaxServiceName = 200;
constexpr std::size_t kMaxDescription = 500;

bool valid_service_name(const std::string& name) {
  return !name.empty() && name.size() <= kMaxServiceName &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
         });
}

bool has_own_grants(const Roles& roles, const std::string& role) {
  const auto& grants = roles.all().at(role).permissions;
  return std::any_of(grants.begin(), grants.end(), [](const std::string& g) { return g.size() > 4 && g.substr(g.size() - 4) == "_own"; });
}

std::optional<HostError> read_token_roles(const nlohmann::json& body, const Roles& roles,
                                         const std::vector<std::string>& caller_roles, TokenSpec& spec) {
  const auto shape = HostError{"invalid_request", "roles must be a non-empty list of role names"};
  if (!body.contains("roles") || !body.at("roles").is_array() || body.at("roles").empty()) return shape;
  for (const auto& role : body.at("roles")) {
    if (!role.is_string()) return shape;
    const std::string name = role.get<std::string>();
    if (!roles.exists(name)) return HostError{"unknown_role", "no role " + name.substr(0, 64)};
    if (!roles.within(caller_roles, name))
      return HostError{"permission_denied", "role " + name + " grants more than the caller holds"};
    spec.roles.push_back(name);
  }
  return std::nullopt;
}

}  // namespace

std::optional<HostError> read_token_body(const nlohmann::json& body, const Roles& roles,
                                        const std::vector<std::string>& caller_roles, TokenSpec& spec) {
  if (!body.is_object()) return HostError{"invalid_request", "the body must be a JSON object"};
  for (const auto& [name, value] : body.items()) {
    if (name == "roles" || name == "allowed_networks") continue;
    if (name != "tenant" && name != "ttl" && name != "service" && name != "description")
      return HostError{"invalid_request", "a token takes tenant, roles, ttl, service, description and allowed_networks"};
    if (!value.is_string()) return HostError{"invalid_request", name + " must be a string"};
  }
  if (auto e = read_token_roles(body, roles, caller_roles, spec)) return e;
  std::chrono::milliseconds ttl = kDefaultTokenTtl;
  if (body.contains("ttl")) {
    const auto parsed = parse_duration(body.at("ttl").get<std::string>());
    if (!parsed || parsed->count() <= 0 || *parsed > kMaxTokenTtl)
      return HostError{"invalid_request", "ttl must be a duration up to 365d, such as 24h or 90d"};
    ttl = *parsed;
  }
  spec.expires_at = Clock::now() + ttl;
  spec.service = body.value("service", "");
  if (!spec.service.empty() && !valid_service_name(spec.service))
    return HostError{"invalid_request", "service must be 1-200 letters, digits, '.', '-' or '_'"};
  for (const auto& role : spec.roles)
    if (spec.service.empty() && has_own_grants(roles, role))
      return HostError{"invalid_request", "role " + role + " acts on its own service's objects: name the service"};
  spec.description = body.value("description", "");
  if (spec.description.size() > kMaxDescription) return HostError{"invalid_request", "description is over 500 characters"};
  std::vector<std::string> networks;
  if (auto e = read_string_list(body, "allowed_networks", networks, "")) return e;
  auto canonical = canonical_networks(networks);
  if (!canonical) return HostError{"invalid_request", "allowed_networks: " + canonical.error().message};
  spec.networks = std::move(canonical).value();
  return std::nullopt;
}

namespace {

// A duration field: absent gives `fallback`; else within (0, max].
std::optional<HostError> read_ttl(const nlohmann::json& body, const char* key, std::chrono::milliseconds fallback,
                                 std::chrono::milliseconds max, const char* limit, std::chrono::milliseconds& out) {
  out = fallback;
  if (!body.contains(key)) return std::nullopt;
  const auto parsed = body.at(key).is_string() ? parse_duration(body.at(key).get<std::string>()) : std::nullopt;
  if (!parsed || parsed->count() <= 0 || *parsed > max)
    return HostError{"invalid_request", std::string(key) + " must be a duration up to " + limit};
  out = *parsed;
  return std::nullopt;
}

}  // namespace

std::optional<HostError> read_approle_body(const nlohmann::json& body, const Roles& roles,
                                          const std::vector<std::string>& caller_roles, AppRole& role) {
  if (!body.is_object()) return HostError{"invalid_request", "the body must be a JSON object"};
  static const std::set<std::string> kFields = {"tenant", "name", "roles", "service", "token_ttl", "secret_id_ttl",
                                                "secret_id_num_uses"};
  for (const auto& [name, value] : body.items())
    if (!kFields.count(name))
      return HostError{"invalid_request", "a login role takes name, roles, service, token_ttl, secret_id_ttl and secret_id_num_uses"};
  role.name = body.value("name", nlohmann::json()).is_string() ? body.at("name").get<std::string>() : "";
  if (!valid_service_name(role.name) || role.name.size() > 100)
    return HostError{"invalid_request", "name must be 1-100 letters, digits, '.', '-' or '_'"};
  TokenSpec spec;
  if (auto e = read_token_roles(body, roles, caller_roles, spec)) return e;
  role.roles = spec.roles;
  if (body.contains("service") && !body.at("service").is_string()) return HostError{"invalid_request", "service must be a string"};
  role.service = body.value("service", "");
  if (!role.service.empty() && !valid_service_name(role.service))
    return HostError{"invalid_request", "service must be 1-200 letters, digits, '.', '-' or '_'"};
  for (const auto& r : role.roles)
    if (role.service.empty() && has_own_grants(roles, r))
      return HostError{"invalid_request", "role " + r + " acts on its own service's objects: name the service"};
  if (auto e = read_ttl(body, "token_ttl", std::chrono::hours(1), std::chrono::hours(24), "24h", role.token_ttl)) return e;
  if (auto e = read_ttl(body, "secret_id_ttl", std::chrono::hours(24), kMaxTokenTtl, "365d", role.secret_id_ttl)) return e;
  const nlohmann::json uses = body.value("secret_id_num_uses", nlohmann::json(0));
  if (!uses.is_number_integer() || uses.get<long long>() < 0 || uses.get<long long>() > 1'000'000)
    return HostError{"invalid_request", "secret_id_num_uses must be a number from 0 (unlimited) to 1000000"};
  role.secret_id_uses = uses.get<int>();
  return std::nullopt;
}

std::optional<HostError> read_limit(const std::string& l, int& limit) {
  if (l.empty()) return std::nullopt;
  if (l.size() > 4 || l.find_first_not_of("0123456789") != std::string::npos || std::stoi(l) < 1 || std::stoi(l) > 1000)
    return HostError{"invalid_request", "limit must be a number from 1 to 1000"};
  limit = std::stoi(l);
  return std::nullopt;
}

std::optional<HostError> read_revoke_body(const std::string& text, RevokeBody& out) {
  const json body = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return HostError{"invalid_json", "the body must be a JSON object"};
  for (const auto& [name, value] : body.items()) {
    if (name == "reason" && value.is_string()) out.reason = value.get<std::string>();
    else if (name == "all_with_same_key" && value.is_boolean()) out.all_with_same_key = value.get<bool>();
    else if (name == "invalidity_date" && value.is_string()) out.invalidity_date = parse_rfc3339(value.get<std::string>());
    else
      return HostError{"invalid_request", "a revocation takes reason (a string), all_with_same_key (a boolean) and "
                                         "invalidity_date (an RFC 3339 time)"};
    if (name == "invalidity_date" && !out.invalidity_date)
      return HostError{"invalid_request", "invalidity_date must be an RFC 3339 time, such as 2026-01-31T12:00:00Z"};
  }
  if (out.invalidity_date && *out.invalidity_date > Clock::now())
    return HostError{"invalid_request", "invalidity_date must not be in the future"};
  const std::string& reason = out.reason;
  if (!revocation_reason_from(reason))
    return HostError{"invalid_reason", "unknown revocation reason \"" + reason + "\"; use one of " + reason_list()};
  if (out.all_with_same_key && reason != "key_compromise")
    return HostError{"invalid_request", "all_with_same_key applies to the key_compromise reason only"};
  return std::nullopt;
}

}  // namespace signet::host
