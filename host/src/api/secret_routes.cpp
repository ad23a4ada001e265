// The secrets API (seed 004; docs/secrets.md): versioned values with
// check-and-set, per tenant, kept in a store instance (secrets.store); the
// secrets table indexes the paths and their rotation policy. Every access,
// reads included, is an audit record, and a value is handed out only once
// its record is written; a change is announced before the store sees it and
// settled after (secrets/secret_changes.hpp), so none goes unrecorded.
#include "api/api.hpp"
#include "api/request_bodies.hpp"
#include "db/audit.hpp"
#include "db/secrets.hpp"
#include "secrets/secret_changes.hpp"
#include <secretstore/secret_path.hpp>

namespace signet::host {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxValueBytes = 512 * 1024;

// The store the secrets API writes to: secrets.store, or the only store.
std::shared_ptr<SecretStore> secret_store(const ApiDependencies& deps, std::string& name) {
  name = deps.config.secrets.store;
  if (name.empty()) {
    for (const auto& i : deps.config.instances)
      if (i.kind == PluginKind::store) {
        if (!name.empty()) return nullptr;  // several: the operator must choose
        name = i.name;
      }
  }
  return name.empty() ? nullptr : deps.instances.store(name);
}

struct SecretCall {
  std::string tenant, path, store_name;
  std::shared_ptr<SecretStore> store;
};

// Tenant, path and store of a call, or why not. `_own` callers reach only
// the folder named after their service.
std::variant<SecretCall, HostError> secret_call(const RequestContext& context, const ApiDependencies& deps) {
  SecretCall call;
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return host_error(tenant.error());
  call.tenant = tenant.value();
  call.path = context.param("path");
  if (!secretstore::valid_secret_path(call.path))
    return HostError{"invalid_request", "a secret path is 1-512 characters of segments made of letters, digits, '.', '_' "
                                       "and '-', separated by '/'"};
  if (context.access == Access::own && call.path.rfind(context.principal->service + "/", 0) != 0)
    return HostError{"not_found", "no secret " + call.path};
  call.store = secret_store(deps, call.store_name);
  if (!call.store)
    return HostError{"not_configured", "no store instance for secrets: set secrets.store (docs/configuration.md)"};
  return call;
}

Result<void> audit_read(const ApiDependencies& deps, const RequestContext& context, const SecretCall& call,
                        const std::string& outcome, json detail) {
  return append_audit(deps.db, {call.tenant, context.principal->id, context.principal->auth, context.remote,
                                "secret.read", call.path, outcome, context.request_id, std::move(detail)});
}

HostError store_error(const Error& e, const std::string& path) {
  if (e.code == ErrorCode::not_found) return {"not_found", "no secret " + path + (e.message.empty() ? "" : ": " + e.message)};
  if (e.code == ErrorCode::conflict) return {"version_conflict", e.message};
  return host_error(e);
}

// A read refused by the store is audited as a failure, then answered.
HttpResponseMessage refused(const ApiDependencies& deps, const RequestContext& context, const SecretCall& call,
                            const Error& e) {
  const HostError error = store_error(e, call.path);
  (void)audit_read(deps, context, call, "failure", {{"error", error.code}});
  return error_response(error, context.request_id);
}

// A change refused by the store is settled as a failure, then answered.
// When that record cannot be written, the lifecycle round writes it later.
HttpResponseMessage refused(const ApiDependencies& deps, const RequestContext& context, const SecretChange& change,
                            const Error& e) {
  const HostError error = store_error(e, change.path);
  if (!deps.secret_changes.settle_failure(change, error.code)) deps.secret_changes.remember_refusal(change, error.code);
  return error_response(error, context.request_id);
}

// A change announced before the store sees it (secrets/secret_changes.hpp).
SecretChange change_of(const RequestContext& context, const SecretCall& call, const std::string& action) {
  return {context.request_id, call.tenant,         call.path,           call.store_name, action,
          context.principal->id, context.principal->auth, context.remote};
}

HttpResponseMessage read(RequestContext& context, const ApiDependencies& deps) {
  auto made = secret_call(context, deps);
  if (const auto* e = std::get_if<HostError>(&made)) return error_response(*e, context.request_id);
  const SecretCall& call = std::get<SecretCall>(made);
  GetRequest get{secret_store_path(call.tenant, call.path), std::nullopt};
  if (const std::string v = context.query_value("version"); !v.empty()) {
    try {
      get.version = std::stoull(v);
    } catch (const std::exception&) {
      return error_response({"invalid_request", "version must be a positive number"}, context.request_id);
    }
  }
  auto secret = call.store->get(get);
  if (!secret) return refused(deps, context, call, secret.error());
  if (auto audited = audit_read(deps, context, call, "success", {{"version", secret->version}}); !audited)
    return error_response(host_error(audited.error()), context.request_id);
  json data = json::parse(secret->data, nullptr, false);
  return json_response(http::status::ok, {{"path", call.path},
                                          {"version", secret->version},
                                          {"data", data.is_discarded() ? json(secret->data) : data},
                                          {"created_at", to_rfc3339(secret->created_at)}});
}

HttpResponseMessage write(RequestContext& context, const ApiDependencies& deps) {
  auto made = secret_call(context, deps);
  if (const auto* e = std::get_if<HostError>(&made)) return error_response(*e, context.request_id);
  const SecretCall& call = std::get<SecretCall>(made);
  const json body = json::parse(context.message.body(), nullptr, false);
  if (!body.is_object() || !body.contains("data"))
    return error_response({"invalid_request", R"(the body must be {"data": ..., "cas": N, "rotation_interval": "30d"})"},
                          context.request_id);
  PutRequest put{secret_store_path(call.tenant, call.path), body.at("data").dump(), std::nullopt, json::object()};
  if (put.data.size() > kMaxValueBytes) return error_response({"body_too_large", "a secret holds at most 512 KiB"}, context.request_id);
  if (body.contains("cas")) {
    if (!body.at("cas").is_number_unsigned()) return error_response({"invalid_request", "cas must be a version number (0: create only)"}, context.request_id);
    put.cas = body.at("cas").get<std::uint64_t>();
  }
  std::optional<std::chrono::milliseconds> interval;
  const bool sets_rotation = body.contains("rotation_interval");
  if (sets_rotation && !body.at("rotation_interval").is_null()) {
    interval = body.at("rotation_interval").is_string() ? parse_duration(body.at("rotation_interval").get<std::string>()) : std::nullopt;
    if (!interval || *interval < std::chrono::minutes(1))
      return error_response({"invalid_request", "rotation_interval must be a duration of at least 1m, or null"}, context.request_id);
  }
  SecretChange change = change_of(context, call, "write");
  if (sets_rotation)
    change.detail["rotation_interval_ms"] = interval ? json(static_cast<long long>(interval->count())) : json(nullptr);
  if (auto announced = deps.secret_changes.announce(change); !announced)
    return error_response(host_error(announced.error()), context.request_id);
  auto version = call.store->put(put);
  if (!version) return refused(deps, context, change, version.error());
  auto rotate_at = deps.secret_changes.settle_write(change, version.value());
  if (!rotate_at) return error_response(host_error(rotate_at.error()), context.request_id);
  return json_response(http::status::ok,
                       {{"path", call.path},
                        {"version", version.value()},
                        {"rotate_at", rotate_at.value() ? json(to_rfc3339(from_unix_ms(rotate_at.value()))) : json(nullptr)}});
}

HttpResponseMessage remove(RequestContext& context, const ApiDependencies& deps) {
  auto made = secret_call(context, deps);
  if (const auto* e = std::get_if<HostError>(&made)) return error_response(*e, context.request_id);
  const SecretCall& call = std::get<SecretCall>(made);
  DeleteRequest del{secret_store_path(call.tenant, call.path), {}};
  if (const std::string list = context.query_value("versions"); !list.empty()) {
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t end = std::min(list.find(',', start), list.size());
      try {
        del.versions.push_back(std::stoull(list.substr(start, end - start)));
      } catch (const std::exception&) {
        return error_response({"invalid_request", "versions must be a comma-separated list of version numbers"}, context.request_id);
      }
      start = end + 1;
    }
  }
  const bool destroy = context.query_value("destroy") == "true";
  SecretChange change = change_of(context, call, destroy ? "destroy" : "delete");
  change.detail["versions"] = del.versions;
  if (auto announced = deps.secret_changes.announce(change); !announced)
    return error_response(host_error(announced.error()), context.request_id);
  auto done = destroy ? call.store->destroy(del) : call.store->remove(del);
  if (!done) return refused(deps, context, change, done.error());
  if (auto settled = deps.secret_changes.settle_delete(change); !settled)
    return error_response(host_error(settled.error()), context.request_id);
  return HttpResponseMessage{http::status::no_content, 11};
}

HttpResponseMessage list(RequestContext& context, const ApiDependencies& deps) {
  auto tenant = acting_tenant(context, deps.db);
  if (!tenant) return error_response(host_error(tenant.error()), context.request_id);
  std::string prefix = context.query_value("prefix");
  if (context.access == Access::own && prefix.rfind(context.principal->service + "/", 0) != 0)
    prefix = context.principal->service + "/" + (prefix.empty() ? "" : prefix);
  int limit = 100;
  if (auto bad = read_limit(context.query_value("limit"), limit)) return error_response(*bad, context.request_id);
  auto paths = list_secret_paths(deps.db, tenant.value(), prefix, context.query_value("after"), limit);
  if (!paths) return error_response(host_error(paths.error()), context.request_id);
  json items = json::array();
  for (const auto& p : paths.value()) {
    json item = {{"path", p.path}, {"version", p.current_version}, {"updated_at", to_rfc3339(p.updated_at)}};
    item["rotation_interval"] = p.rotation_interval ? json(format_duration(*p.rotation_interval)) : json(nullptr);
    item["rotate_at"] = p.rotate_at ? json(to_rfc3339(*p.rotate_at)) : json(nullptr);
    items.push_back(std::move(item));
  }
  auto audited = append_audit(deps.db, {tenant.value(), context.principal->id, context.principal->auth, context.remote,
                                        "secret.list", prefix, "success", context.request_id, {{"count", items.size()}}});
  if (!audited) return error_response(host_error(audited.error()), context.request_id);
  const json next = static_cast<int>(items.size()) == limit ? items.back()["path"] : json(nullptr);
  return json_response(http::status::ok, {{"items", std::move(items)}, {"next_after", next}});
}

}  // namespace

void add_secret_routes(Router& router, ApiDependencies deps) {
  router.add(http::verb::get, "/v1/secrets", [deps](RequestContext& c) { return list(c, deps); }, {.permission = "secret:read"});
  router.add(http::verb::get, "/v1/secrets/{*path}", [deps](RequestContext& c) { return read(c, deps); }, {.permission = "secret:read"});
  router.add(http::verb::put, "/v1/secrets/{*path}", [deps](RequestContext& c) { return write(c, deps); }, {.permission = "secret:write"});
  router.add(http::verb::delete_, "/v1/secrets/{*path}", [deps](RequestContext& c) { return remove(c, deps); },
             {.permission = "secret:delete"});
}

}  // namespace signet::host
