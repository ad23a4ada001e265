// Maps method + path to a handler. Handlers run on the worker pool; they
// check first, do the work last, and return every failure as an HostError
// through error_response().
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <variant>
#include <vector>

#include "http/errors.hpp"
#include "http/message.hpp"
#include "http/rate_limiter.hpp"

namespace signet::host {

using Handler = std::function<HttpResponseMessage(RequestContext&)>;

// A cookie's value from the request's Cookie headers, or nullopt.
std::optional<std::string> cookie_value(const HttpRequestMessage& message, std::string_view name);
// Whether the request's Origin header (RFC 6454 §7) names another origin
// than the Host it was sent to: a page of another site made the browser send it.
bool foreign_origin(const HttpRequestMessage& message);
// Who presents these credentials, or why nobody (auth/authenticate.hpp).
using Authenticator = std::function<std::variant<Principal, HostError>(const Credentials&)>;
// How far the route's permission reaches for the caller, or why not at all
// (auth/authorize.hpp).
using Authorizer = std::function<std::variant<Access, HostError>(const Principal&, const std::string& permission)>;
// Told of every refusal the audit log records: each 4xx/5xx answer of a
// guarded route, a request the router could not route or the server could
// not read, and the first of a run of 429s (`action` names what was tried).
using RefusalObserver =
    std::function<void(const RequestContext&, const std::string& action, const HttpResponseMessage&)>;

struct RouteOptions {
  // "cert:read"; every route that is not open has one. On an open route it
  // may name the action its refusals are audited as ("auth:login").
  std::string permission;
  bool open = false;          // no authentication
  bool inline_ = false;       // cheap and never blocking: runs on the I/O thread
  bool limit_source = false;  // an open route that still counts against its caller's address (login)
};

// Requests a second per source address (before authentication) and per
// principal (after it); a null limiter is no limit.
struct RateLimits {
  std::shared_ptr<RateLimiter> per_source, per_principal;
};

// Every authenticated route is authorized here, before its handler runs:
// handlers never decide who may call them, only (for Access::own) which
// objects the caller sees.
class Router {
 public:
  Router(Authenticator authenticate, Authorizer authorize, RefusalObserver on_refusal = {}, RateLimits limits = {})
      : authenticate_(std::move(authenticate)), authorize_(std::move(authorize)), on_refusal_(std::move(on_refusal)),
        limits_(std::move(limits)) {}

  // pattern: "/v1/requests/{id}"; a last segment "{*rest}" takes the rest
  // of the path, one segment or more, slashes included. Throws std::logic_error for a route that
  // is neither open nor guarded by a permission.
  void add(http::verb method, const std::string& pattern, Handler handler, RouteOptions options);

  // Each route's method, pattern, permission and openness, in order.
  struct RouteInfo {
    http::verb method;
    std::string pattern;
    std::string permission;
    bool open = false;
    bool limit_source = false;
  };
  std::vector<RouteInfo> routes() const;

  // A reload's limits, for the requests that arrive from now on.
  void set_rate_limits(RateLimits limits);

  // Never throws: any exception becomes a 500 "internal".
  HttpResponseMessage dispatch(RequestContext& context) const noexcept;
  bool runs_inline(const RequestContext& context) const;
  // The answer to a request the server could not read (malformed, too
  // large); audited like any refusal. Blocks on the audit write.
  HttpResponseMessage refuse_unreadable(RequestContext& context, const HostError& error) const;

 private:
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };
  // A request turned away before any handler ran.
  struct Refusal {
    HostError error;
    bool recorded = true;  // false for the second and later 429s in a row
  };
  HttpResponseMessage route(RequestContext& context) const;
  HttpResponseMessage no_route(RequestContext& context, const std::string& allowed) const;
  bool match(const Route& route, const std::vector<std::string>& path, std::map<std::string, std::string>& params) const;

  std::optional<Refusal> admit(const Route& route, RequestContext& context) const;
  std::optional<Refusal> throttle(const std::shared_ptr<RateLimiter>& limiter, const std::string& key,
                                  const std::string& who) const;
  HttpResponseMessage run(const Route& route, RequestContext& context) const;
  HttpResponseMessage refuse(const Refusal& refusal, RequestContext& context, const std::string& action) const;

  Authenticator authenticate_;
  Authorizer authorize_;
  RefusalObserver on_refusal_;
  RateLimits rate_limits() const;

  mutable std::mutex limits_mutex_;
  RateLimits limits_;
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(const std::string& path);
// Splits "/a/b?x=1&y=%20" into path and decoded query parameters.
void parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace signet::host
