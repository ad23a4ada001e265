#include "http/access_log.hpp"

namespace signet::host {

void record_access(signet::Logger& log, signet::Metrics& metrics, const HttpRequestMessage& request,
                   const RequestContext& context, const HttpResponseMessage& response, double seconds) {
  // The query string is left out on purpose: it may carry a password (?format=p12&password=).
  log.info("http", {{"request_id", context.request_id}, {"remote", context.remote},
                    {"method", std::string(request.method_string())}, {"path", context.path},
                    {"status", response.result_int()}, {"bytes", response.body().size()},
                    {"duration_ms", seconds * 1000},
                    {"principal", context.principal ? context.principal->id : ""}});
  // By route template, never by path: ids and serials would make a series each.
  const std::string route = context.route.empty() ? "unmatched" : context.route;
  metrics.counter_add("signet_http_requests_total", "HTTP requests answered",
                      {{"route", route}, {"method", std::string(http::to_string(request.method()))},
                       {"code", std::to_string(response.result_int())}}, 1);
  metrics.histogram_observe("signet_http_request_seconds", "Time to answer an HTTP request", {{"route", route}}, seconds);
}

}  // namespace signet::host
