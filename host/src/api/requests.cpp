// GET /v1/requests/{id}, and the approvers' POST /v1/requests/{id}/approve|reject.
#include <set>

#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "api/views.hpp"
#include "pipeline/approvals.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

// The request, if the caller may see it: another tenant's (or for `_own`
// access, another service's) answers 404 like a missing one.
std::variant<RequestRecord, HostError> visible_request(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return host_error(tenant.error());
  auto found = RequestRepo(deps.db).load(context.param("id"));
  if (!found) return host_error(found.error());
  if (!found.value() || found.value()->tenant_id != tenant.value() ||
      (context.access == Access::own && found.value()->input.value("service", "") != context.principal->service))
    return HostError{"not_found", "no request " + context.param("id")};
  return std::move(*found.value());
}

HttpResponseMessage request_answer(const RequestRecord& q, const ApiDependencies& deps, const std::string& rid) {
  std::vector<ApprovalDecision> decisions;
  if (q.state.approval) {
    auto made = decisions_on(deps.db, q.id);
    if (!made) return error_response(host_error(made.error()), rid);
    decisions = std::move(made).value();
  }
  return json_response(http::status::ok, request_view(q, decisions));
}

// GET /v1/requests?status=pending_approval&limit=&cursor=: newest first. A
// caller with `_own` access sees its service's requests only, so its pages
// may hold fewer than `limit` while next_cursor goes on.
HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  RequestFilter filter;
  if (auto bad = read_limit(context.query_value("limit"), filter.limit)) return error_response(*bad, context.request_id);
  filter.status = context.query_value("status");
  static const std::set<std::string> kStatuses = {"pending", "running", "waiting", "succeeded", "failed", "pending_approval"};
  if (!filter.status.empty() && !kStatuses.count(filter.status))
    return error_response({"invalid_request", "status must be pending, running, waiting, succeeded, failed or pending_approval"},
                          context.request_id);
  filter.cursor = context.query_value("cursor");
  auto page = list_requests(deps.db, tenant.value(), filter);
  if (!page) {
    if (page.error().code == ErrorCode::invalid_argument) return error_response({"invalid_request", page.error().message}, context.request_id);
    return error_response(host_error(page.error()), context.request_id);
  }
  json items = json::array();
  for (const auto& q : page->items)
    if (context.access != Access::own || q.input.value("service", "") == context.principal->service) {
      json view = request_view(q, {});
      if (view.contains("approval")) view["approval"].erase("decisions");  // GET /v1/requests/{id} has them
      items.push_back(std::move(view));
    }
  return json_response(http::status::ok, {{"items", std::move(items)},
                                          {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}});
}

HttpResponseMessage get_request(RequestContext& context, const ApiDependencies& deps) {
  auto found = visible_request(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  return request_answer(std::get<RequestRecord>(found), deps, context.request_id);
}

// {"comment": "..."}: optional to approve, required to reject (the requester is told why).
std::optional<HostError> read_comment(const std::string& text, bool required, std::string& comment) {
  const json body = json::parse(text.empty() ? "{}" : text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return HostError{"invalid_json", "the body must be a JSON object (or empty)"};
  for (const auto& [key, value] : body.items())
    if (key != "comment") return HostError{"invalid_request", "a decision takes a comment only"};
  if (body.contains("comment") && !body.at("comment").is_string()) return HostError{"invalid_request", "comment must be a string"};
  comment = body.value("comment", "");
  if (comment.size() > 4000) return HostError{"invalid_request", "comment is longer than 4000 characters"};
  if (required && comment.empty()) return HostError{"invalid_request", "a rejection needs a comment saying why"};
  return std::nullopt;
}

HttpResponseMessage decide_on(RequestContext& context, const ApiDependencies& deps, bool approve) {
  std::string comment;
  if (auto e = read_comment(context.message.body(), !approve, comment)) return error_response(*e, context.request_id);
  auto found = visible_request(context, deps);
  if (const auto* e = std::get_if<HostError>(&found)) return error_response(*e, context.request_id);
  const ApprovalCall call{*context.principal, caller_state(context), context.request_id, approve, comment};
  auto decided = decide(deps.db, deps.runner, std::get<RequestRecord>(found), call, deps.config.runner.sync_wait);
  if (const auto* e = std::get_if<HostError>(&decided)) return error_response(*e, context.request_id);
  return request_answer(std::get<RequestRecord>(decided), deps, context.request_id);
}

}  // namespace

void add_request_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/requests", [deps](RequestContext& c) { return list(c, deps); },
             {.permission = "cert:read"});
  router.add(http::verb::get, "/v1/requests/{id}", [deps](RequestContext& c) { return get_request(c, deps); },
             {.permission = "cert:read"});
  router.add(http::verb::post, "/v1/requests/{id}/approve",
             [deps](RequestContext& c) { return decide_on(c, deps, true); }, {.permission = "request:approve"});
  router.add(http::verb::post, "/v1/requests/{id}/reject",
             [deps](RequestContext& c) { return decide_on(c, deps, false); }, {.permission = "request:approve"});
}

}  // namespace signet::host
