#include "http/router.hpp"

#include <cctype>
#include <stdexcept>

#include <boost/beast/core/string.hpp>

#include "auth/sessions.hpp"
#include "util/text.hpp"

namespace signet::host {
namespace {

// What the caller presents, read off the request for authentication.
Credentials credentials(const RequestContext& context) {
  Credentials out;
  out.peer = context.peer;
  out.source = context.remote;
  out.request_id = context.request_id;
  const auto header = context.message[http::field::authorization];
  const std::string value(header.data(), header.size());
  const std::string bearer = "Bearer ";
  if (value.rfind(bearer, 0) == 0) out.bearer_token = value.substr(bearer.size());
  out.session = cookie_value(context.message, kSessionCookie);
  if (const auto csrf = context.message.find("X-CSRF-Token"); csrf != context.message.end())
    out.csrf = std::string(csrf->value());
  const auto method = context.message.method();
  out.changes_state = method != http::verb::get && method != http::verb::head && method != http::verb::options;
  out.foreign_origin = foreign_origin(context.message);
  return out;
}

}  // namespace

// RFC 6454 §7: browsers name the page's origin on cross-origin requests,
// on every WebSocket handshake and on non-GET fetches. One that does not
// match the Host this request was sent to came from another site's page.
bool foreign_origin(const HttpRequestMessage& message) {
  const auto origin = message.find(http::field::origin);
  if (origin == message.end()) return false;
  boost::beast::string_view value = origin->value();
  const std::size_t scheme_end = value.find("://");
  if (scheme_end == boost::beast::string_view::npos) return true;  // "null": a sandboxed or opaque origin
  value.remove_prefix(scheme_end + 3);
  return !boost::beast::iequals(value, message[http::field::host]);
}

// RFC 6265 §5.4: "name=value" pairs separated by "; ".
std::optional<std::string> cookie_value(const HttpRequestMessage& message, std::string_view name) {
  for (auto it = message.find(http::field::cookie); it != message.end() && it->name() == http::field::cookie; ++it) {
    std::string_view rest(it->value().data(), it->value().size());
    while (!rest.empty()) {
      const std::size_t end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = path.find('/', start);
    const std::string segment = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!segment.empty()) segments.push_back(segment);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return segments;
}

void parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query) {
  const std::size_t q = target.find('?');
  path = percent_decode(target.substr(0, q), true);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    query[percent_decode(pair.substr(0, eq), true)] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

void Router::add(http::verb method, const std::string& pattern, Handler handler, RouteOptions options) {
  if (!options.open && !valid_grant(options.permission))
    throw std::logic_error("route " + pattern + " is neither open nor guarded by a permission");
  routes_.push_back({method, pattern, split_path(pattern), std::move(handler), std::move(options)});
}

std::vector<Router::RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& route : routes_) out.push_back({route.method, route.pattern, route.options.permission, route.options.open,
                   route.options.limit_source});
  return out;
}

HttpResponseMessage Router::run(const Route& route, RequestContext& context) const {
  if (auto refusal = admit(route, context)) return refuse(*refusal, context, route.options.permission);
  auto response = route.handler(context);
  // An open route's handler records its own outcomes (login audits every attempt).
  if (on_refusal_ && !route.options.open && response.result_int() >= 400)
    on_refusal_(context, route.options.permission, response);
  return response;
}

HttpResponseMessage Router::refuse(const Refusal& refusal, RequestContext& context, const std::string& action) const {
  auto response = error_response(refusal.error, context.request_id);
  if (refusal.error.code == "unauthenticated") response.set(http::field::www_authenticate, "Bearer realm=\"signet\"");
  if (on_refusal_ && refusal.recorded) on_refusal_(context, action, response);
  return response;
}

// Authentication, then authorization: the one gate of every guarded route.
void Router::set_rate_limits(RateLimits limits) {
  const std::lock_guard lock(limits_mutex_);
  limits_ = std::move(limits);
}

RateLimits Router::rate_limits() const {
  const std::lock_guard lock(limits_mutex_);
  return limits_;
}

std::optional<Router::Refusal> Router::admit(const Route& route, RequestContext& context) const {
  const bool guarded = !route.options.open;
  const RateLimits limits = rate_limits();  // once per request: a reload may swap them meanwhile
  if (guarded || route.options.limit_source)
    if (auto refusal = throttle(limits.per_source, context.remote, context.remote)) return refusal;
  if (!guarded) return std::nullopt;
  auto principal = authenticate_(credentials(context));
  if (auto* denied = std::get_if<HostError>(&principal)) return Refusal{std::move(*denied)};
  context.principal = std::move(std::get<Principal>(principal));
  if (auto refusal = throttle(limits.per_principal, context.principal->id, "this principal")) return refusal;
  const auto access = authorize_(*context.principal, route.options.permission);
  if (const auto* denied = std::get_if<HostError>(&access)) return Refusal{*denied};
  context.access = std::get<Access>(access);
  return std::nullopt;
}

// A flood is one audit record, not one per request: only the first 429 of
// a run is recorded (the metrics count them all).
std::optional<Router::Refusal> Router::throttle(const std::shared_ptr<RateLimiter>& limiter, const std::string& key,
                                                const std::string& who) const {
  if (!limiter) return std::nullopt;
  const auto throttled = limiter->take(key);
  if (!throttled) return std::nullopt;
  return Refusal{{"rate_limited", "too many requests from " + who + "; slow down", throttled->retry_after},
                 throttled->in_a_row == 1};
}

HttpResponseMessage Router::refuse_unreadable(RequestContext& context, const HostError& error) const {
  if (auto refusal = throttle(rate_limits().per_source, context.remote, context.remote))
    return refuse(*refusal, context, "http:unreadable");
  return refuse(Refusal{error}, context, "http:unreadable");
}

bool Router::match(const Route& route, const std::vector<std::string>& path,
                   std::map<std::string, std::string>& out) const {
  const bool glob = !route.segments.empty() && route.segments.back().rfind("{*", 0) == 0;
  if (glob ? path.size() < route.segments.size() : route.segments.size() != path.size()) return false;
  std::map<std::string, std::string> params;
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& s = route.segments[i];
    if (glob && i + 1 == route.segments.size()) {
      std::string rest = path[i];
      for (std::size_t j = i + 1; j < path.size(); ++j) rest += "/" + path[j];
      params[s.substr(2, s.size() - 3)] = std::move(rest);
    } else if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      params[s.substr(1, s.size() - 2)] = path[i];
    } else if (s != path[i]) {
      return false;
    }
  }
  out = std::move(params);
  return true;
}

bool Router::runs_inline(const RequestContext& context) const {
  const auto path = split_path(context.path);
  std::map<std::string, std::string> params;
  for (const auto& route : routes_)
    if (route.method == context.message.method() && match(route, path, params)) return route.options.inline_;
  return false;
}

HttpResponseMessage Router::dispatch(RequestContext& context) const noexcept {
  try {
    return route(context);
  } catch (const std::exception&) {
    return error_response({"internal", "internal error"}, context.request_id);
  }
}

HttpResponseMessage Router::route(RequestContext& context) const {
  const auto path = split_path(context.path);
  std::string allowed;
  for (const auto& route : routes_) {
    if (!match(route, path, context.params)) continue;
    if (route.method != context.message.method()) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(http::to_string(route.method));
      continue;
    }
    context.route = route.pattern;
    return run(route, context);
  }
  return no_route(context, allowed);
}

// Probing for routes is refused, rate limited and audited like any other refusal.
HttpResponseMessage Router::no_route(RequestContext& context, const std::string& allowed) const {
  if (auto refusal = throttle(rate_limits().per_source, context.remote, context.remote))
    return refuse(*refusal, context, "http:route");
  if (allowed.empty()) return refuse({{"not_found", "no route for " + context.path}}, context, "http:route");
  auto response = refuse({{"method_not_allowed", "method " + std::string(context.message.method_string()) +
                                                     " is not allowed on " + context.path}},
                         context, "http:route");
  response.set(http::field::allow, allowed);
  return response;
}

}  // namespace signet::host
