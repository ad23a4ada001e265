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

class Router {
 public:
  explicit Router(Authenticator authenticate) : authenticate_(std::move(authenticate)) {}

  // pattern: "/v1/requests/{id}"; `open` routes need no authentication.
  void add(http::verb method, const std::string& pattern, Handler handler, bool open = false);

  // Never throws: an exception from a handler becomes a 500 "internal".
  HttpResponseMessage dispatch(RequestContext& context) const;

 private:
  struct Route {
    http::verb method;
    std::vector<std::string> segments;
    Handler handler;
    bool open;
  };
  bool match(const Route& route, const std::vector<std::string>& path, RequestContext& context) const;

  Authenticator authenticate_;
  std::vector<Route> routes_;
};

std::vector<std::string> split_path(const std::string& path);
// Splits "/a/b?x=1&y=%20" into path and decoded query parameters.
void parse_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query);

}  // namespace signet::host
