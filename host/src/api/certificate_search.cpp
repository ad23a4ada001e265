// The certificate listing's filters, from explicit parameters and from a
// natural-language `q` (host/src/search), and GET /v1/search/parse, which
// says what a query was understood as. The chips it returns name the same
// parameters GET /v1/certificates takes, so a client that removes a chip
// sends the others as they are (docs/dashboard.md "Search").
#include <chrono>
#include <mutex>
#include <set>
#include <sstream>

#include "api/api.hpp"
#include "api/certificate_search.hpp"
#include "api/request_bodies.hpp"
#include "auth/tokens.hpp"
#include "db/tenants.hpp"
#include "search/query_parser.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// Services change as certificates are issued; names a minute old are close
// enough for matching words, and reading them costs a scan of the tenant's
// service index.
class ServiceNames {
 public:
  std::vector<std::string> of(Database& db, const std::string& tenant_id) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex_);
      const auto found = cache_.find(tenant_id);
      if (found != cache_.end() && now - found->second.first < std::chrono::minutes(1)) return found->second.second;
    }
    auto names = certificate_services(db, tenant_id, 1000);
    if (!names) return {};
    std::lock_guard lock(mutex_);
    if (cache_.size() > 10000) cache_.clear();
    cache_[tenant_id] = {now, names.value()};
    return std::move(names).value();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, std::vector<std::string>>> cache_;
};

ServiceNames& service_names() {
  static ServiceNames names;
  return names;
}

// The names a query may use: the tenants the caller may see, the CA
// instances, the profiles and the services of the caller's tenant.
search::Vocabulary vocabulary_for(const RequestContext& c, const ApiDependencies& deps) {
  search::Vocabulary v;
  if (c.principal->has_role(kSuperAdminRole)) {
    if (auto tenants = list_tenants(deps.db))
      for (const auto& t : tenants.value()) v.tenants.push_back(t.slug);
  } else {
    v.tenants.push_back(c.principal->tenant);
  }
  for (const auto& instance : deps.instances.all())
    if (instance.kind == PluginKind::ca) v.cas.push_back(instance.name);
  for (const auto& profile : *deps.config.profiles.snapshot()) v.profiles.push_back(profile.name);
  if (c.access != Access::own) v.services = service_names().of(deps.db, c.principal->tenant_id);
  return v;
}

std::optional<HostError> read_time(const RequestContext& c, const char* name, std::optional<TimePoint>& into) {
  const std::string text = c.query_value(name);
  if (text.empty()) return std::nullopt;
  into = parse_rfc3339(text);
  if (!into) return HostError{"invalid_request", std::string(name) + " must be an RFC 3339 time"};
  return std::nullopt;
}

std::optional<HostError> read_number(const std::string& text, const char* name, int& into) {
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    into = std::stoi(text, &used);
    if (used == text.size() && into > 0 && into <= 100000) return std::nullopt;
  } catch (const std::exception&) {
  }
  return HostError{"invalid_request", std::string(name) + " must be a positive whole number"};
}

std::vector<std::string> words_of(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// What the parser understood, where no explicit parameter said otherwise.
void merge(const search::ParsedQuery& p, CertificateSearch& s) {
  CertificateFilter& f = s.filter;
  auto fill = [](std::string& into, const std::string& value) {
    if (into.empty()) into = value;
  };
  fill(f.status, p.status);
  fill(s.tenant, p.tenant);
  fill(f.ca, p.ca);
  fill(f.profile, p.profile);
  fill(f.service, p.service);
  fill(f.key_type, p.key_type);
  fill(f.serial, p.serial);
  fill(f.name, p.ip);
  fill(f.name_suffix, p.name_pattern);
  fill(f.renewal, p.renewal);
  if (!f.key_bits) f.key_bits = p.key_bits;
  if (!p.curve.empty()) s.curve = p.curve;
  if (p.expiring_within_days && !s.expiring_within_days) s.expiring_within_days = p.expiring_within_days;
  if (!f.revoked_since) f.revoked_since = p.revoked.since;
  if (!f.revoked_until) f.revoked_until = p.revoked.until;
  if (!f.issued_since) f.issued_since = p.issued.since;
  if (!f.issued_until) f.issued_until = p.issued.until;
  f.texts.insert(f.texts.end(), p.text.begin(), p.text.end());
  for (const auto& field : p.fields) f.metadata.push_back(field);
}

// Curves name an ECDSA key of their field size.
std::optional<HostError> apply_curve(CertificateSearch& s) {
  if (s.curve.empty()) return std::nullopt;
  static const std::map<std::string, int> sizes = {{"p-256", 256}, {"p-384", 384}, {"p-521", 521}};
  std::string lower = s.curve;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const auto found = sizes.find(lower);
  if (found == sizes.end()) return HostError{"invalid_request", "curve must be P-256, P-384 or P-521"};
  if (!s.filter.key_type.empty() && s.filter.key_type != "ecdsa")
    return HostError{"invalid_request", "a curve names an ECDSA key, not " + s.filter.key_type};
  s.filter.key_type = "ecdsa";
  s.filter.key_bits = found->second;
  return std::nullopt;
}

std::optional<HostError> check(const CertificateSearch& s) {
  const CertificateFilter& f = s.filter;
  static const std::set<std::string> statuses = {"active", "revoked", "expired", "superseded"};
  if (!f.status.empty() && !statuses.count(f.status))
    return HostError{"invalid_request", "status must be active, revoked, expired or superseded"};
  static const std::set<std::string> key_types = {"rsa", "ecdsa", "ed25519", "ed448"};
  if (!f.key_type.empty() && !key_types.count(f.key_type))
    return HostError{"invalid_request", "key_type must be rsa, ecdsa, ed25519 or ed448"};
  if (!f.renewal.empty() && f.renewal != "renewed" && f.renewal != "not_renewed" && f.renewal != "failing")
    return HostError{"invalid_request", "renewal must be renewed, not_renewed or failing"};
  return std::nullopt;
}

std::optional<HostError> read_order(const RequestContext& c, CertificateFilter& f) {
  const std::string sort = c.query_value("sort"), order = c.query_value("order");
  if (sort.empty() || sort == "created_at") f.order = CertificateOrder::created_at;
  else if (sort == "not_after") f.order = CertificateOrder::not_after;
  else if (sort == "common_name") f.order = CertificateOrder::common_name;
  else return HostError{"invalid_request", "sort must be created_at, not_after or common_name"};
  if (!order.empty() && order != "asc" && order != "desc") return HostError{"invalid_request", "order must be asc or desc"};
  // "Expiring in 30 days" reads soonest first, and that order is the
  // expiry index's: the first page comes without sorting the whole window.
  if (sort.empty() && f.expiring_before && f.status == "active") f.order = CertificateOrder::not_after;
  // Newest first, soonest expiry first, names A to Z, unless told otherwise.
  f.ascending = order.empty() ? f.order != CertificateOrder::created_at : order == "asc";
  return std::nullopt;
}

}  // namespace

std::optional<HostError> read_certificate_search(const RequestContext& c, const ApiDependencies& deps,
                                                 CertificateSearch& s, TimePoint now) {
  CertificateFilter& f = s.filter;
  s.tenant = c.query_value("tenant");
  f.status = c.query_value("status");
  f.common_name = c.query_value("common_name");
  f.name = c.query_value("san");
  if (f.name.empty()) f.name = c.query_value("ip");
  f.name_suffix = c.query_value("name_pattern");
  f.profile = c.query_value("profile");
  f.service = c.query_value("service");
  f.ca = c.query_value("ca");
  f.serial = c.query_value("serial");
  f.key_type = c.query_value("key_type");
  f.renewal = c.query_value("renewal");
  s.curve = c.query_value("curve");
  f.texts = words_of(c.query_value("text"));
  f.cursor = c.query_value("cursor");
  for (const char* key : {"requester", "business_unit", "ticket"})
    if (const std::string v = c.query_value(key); !v.empty()) f.metadata.emplace_back(key, v);
  if (auto bad = read_number(c.query_value("key_bits"), "key_bits", f.key_bits)) return bad;
  int days = 0;
  if (auto bad = read_number(c.query_value("expiring_within_days"), "expiring_within_days", days)) return bad;
  if (days) s.expiring_within_days = days;
  for (auto [name, into] : {std::pair{"expiring_before", &f.expiring_before}, {"issued_since", &f.issued_since},
                            {"issued_until", &f.issued_until}, {"revoked_since", &f.revoked_since},
                            {"revoked_until", &f.revoked_until}})
    if (auto bad = read_time(c, name, *into)) return bad;
  if (const std::string q = c.query_value("q"); !q.empty()) {
    if (q.size() > 1000) return HostError{"invalid_request", "q is longer than 1000 characters"};
    merge(search::parse_query(q, vocabulary_for(c, deps), now), s);
  }
  if (auto bad = apply_curve(s)) return bad;
  if (s.expiring_within_days) {
    const TimePoint horizon = now + std::chrono::hours(24) * *s.expiring_within_days;
    if (!f.expiring_before || horizon < *f.expiring_before) f.expiring_before = horizon;
    // "Expiring" means not expired yet, and not revoked.
    if (f.status.empty()) f.status = "active";
  }
  if (c.access == Access::own) f.service = c.principal->service;
  if (auto bad = check(s)) return bad;
  if (auto bad = read_order(c, f)) return bad;
  return read_limit(c.query_value("limit"), f.limit);
}

namespace {

HttpResponseMessage parse(RequestContext& context, const ApiDependencies& deps) {
  const std::string q = context.query_value("q");
  if (q.size() > 1000) return error_response({"invalid_request", "q is longer than 1000 characters"}, context.request_id);
  const auto parsed = search::parse_query(q, vocabulary_for(context, deps), Clock::now());
  return json_response(http::status::ok, {{"q", q}, {"chips", search::chips_of(parsed)}});
}

}  // namespace

void add_search_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/search/parse", [deps](RequestContext& c) { return parse(c, deps); },
             {.permission = "cert:read"});
}

}  // namespace signet::host
