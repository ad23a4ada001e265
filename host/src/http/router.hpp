// Maps method + path to a handler. Handlers run on the worker pool; they
// check first, do the work last, and return every failure as an ApiError
// through error_response().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/errors.hpp"
#include "http/message.hpp"

namespace signet::host {

using Handler = std::function<HttpResponseMessage(RequestContext&)>;
// Fills context.principal or returns why not.
using Authenticator = std::function<std::optional<ApiError>(RequestContext&)>;

struct RouteOptions {
  bool open = false;     // no authentication
  bool inline_ = false;  // cheap and never blocking: runs on the I/O thread
};

class Router {
 public:
  explicit Router(Authenticator authenticate) : authenticate_(std::move(authenticate)) {}

  // pattern: "/v1/requests/{id}".
  void add(http::verb method, const std::string& pattern, Handler handler, RouteOptions options = {});

  // Never throws: any exception becomes a 500 "internal".
  HttpResponseMessage dispatch(RequestContext& context) const noexcept;
  bool runs_inline(const RequestContext& context) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };
  HttpResponseMessage route(RequestContext& context) const;
  bool match(const Route& route, const std::vector<std::string>& path, std::map<std::string, std::string>& params) const;

  Authenticator authenticate_;
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(const std::string& path);
// Splits "/a/b?x=1&y=%20" into path and decoded query parameters.
void parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace signet::host
