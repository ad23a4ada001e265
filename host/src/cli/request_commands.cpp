// signet request list | get | approve | reject: requests and their
// progress, and the approvers' decisions (docs/approvals.md), from a shell.
#include <iostream>

#include "cli/commands.hpp"
#include "client/api_client.hpp"

namespace signet::host {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: signet request list [--status pending_approval|pending|running|waiting|succeeded|failed] [--limit N]\n"
    "       signet request get ID\n"
    "       signet request approve ID [--comment TEXT]\n"
    "       signet request reject ID --comment TEXT\n"
    "  server: --addr URL (SIGNET_ADDR), --token T (SIGNET_TOKEN), --cacert FILE (SIGNET_CACERT),\n"
    "          --client-cert FILE --client-key FILE for mutual TLS";

// One line people read; the full request with `signet request get`.
void report(const json& request) {
  std::cout << request.value("request_id", "") << " " << request.value("status", "");
  if (request.contains("certificate_id") && request.at("certificate_id").is_string())
    std::cout << " certificate " << request.at("certificate_id").get<std::string>();
  if (request.contains("error") && request.at("error").is_object())
    std::cout << " (" << request.at("error").value("code", "") << ": " << request.at("error").value("message", "") << ")";
  if (request.contains("approval") && request.at("approval").is_object()) {
    const json& a = request.at("approval");
    std::cout << " approvals " << a.value("decisions", json::array()).size() << "/" << a.value("min_approvals", 1);
  }
  std::cout << "\n";
}

int list(ApiClient& api, const Args& args) {
  std::string query;
  for (const char* flag : {"status", "limit"})
    if (auto v = args.flag(flag)) query += (query.empty() ? "?" : "&") + std::string(flag) + "=" + *v;
  auto page = api.call("GET", "/v1/requests" + query);
  if (!page) return 1;
  for (const auto& request : page->value("items", json::array())) report(request);
  return 0;
}

}  // namespace

int command_request(int argc, char** argv) {
  const std::string action = argc > 2 ? argv[2] : "";
  Args args(argc, argv, 3, {});
  std::set<std::string> known = ApiClient::connection_flags();
  for (const char* f : {"comment", "status", "limit"}) known.insert(f);
  if (!args.only(known)) return usage_error(args.error() + "\n" + kUsage);
  if (action == "list") {
    if (!args.positional().empty()) return usage_error(kUsage);
    auto api = ApiClient::from(args);
    return api ? list(*api, args) : 2;
  }
  if ((action != "get" && action != "approve" && action != "reject") || args.positional().size() != 1u)
    return usage_error(kUsage);
  if (action == "reject" && !args.flag("comment")) return usage_error(std::string("a rejection needs --comment\n") + kUsage);
  auto api = ApiClient::from(args);
  if (!api) return 2;
  const std::string path = "/v1/requests/" + args.positional().front();
  if (action == "get") {
    auto request = api->call("GET", path);
    if (!request) return 1;
    std::cout << request->dump(2) << "\n";
    return 0;
  }
  json body = json::object();
  if (auto comment = args.flag("comment")) body["comment"] = *comment;
  auto decided = api->call("POST", path + "/" + action, body);
  if (!decided) return 1;
  report(*decided);
  return 0;
}

}  // namespace signet::host
