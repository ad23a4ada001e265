// POST /v1/test/clock {"advance": "61d"}: moves the host's clock forward
// and runs a lifecycle round, so tests reach a date without sleeping until
// it. Registered only by `signet serve --test-clock`, which logs a warning
// at start-up; never in production.
#include "api/api.hpp"

namespace signet::host {
namespace {

HttpResponseMessage advance(RequestContext& context, LifecycleScheduler& scheduler, signet::Logger& log) {
  const auto body = nlohmann::json::parse(context.message.body(), nullptr, false);
  const auto by = body.is_object() && body.value("advance", nlohmann::json()).is_string()
                      ? parse_duration(body.at("advance").get<std::string>())
                      : std::nullopt;
  if (!by) return error_response({"invalid_request", R"(the body must be {"advance": "<duration>"}, e.g. "61d")"}, context.request_id);
  const auto offset = shift_clock(*by);
  log.warn("test clock moved", {{"advance", format_duration(*by)}, {"offset", format_duration(offset)}});
  // The round runs before the answer: what the new date makes due is done.
  if (body.value("run", true)) scheduler.run_now();
  return json_response(http::status::ok, {{"now", to_rfc3339(Clock::now())}, {"offset", format_duration(offset)}});
}

}  // namespace

void add_test_clock_routes(Router& router, LifecycleScheduler& scheduler, signet::Logger& log) {
  router.add(http::verb::post, "/v1/test/clock", [&scheduler, &log](RequestContext& c) { return advance(c, scheduler, log); },
             {.permission = "tenant:create"});
}

}  // namespace signet::host
