#include "cli/api_client.hpp"

#include <cstdlib>
#include <iostream>

namespace signet::host {
namespace {

std::string setting(const Args& args, const std::string& flag, const char* env) {
  if (auto v = args.flag(flag)) return *v;
  const char* value = std::getenv(env);
  return value ? value : "";
}

}  // namespace

const std::set<std::string>& ApiClient::connection_flags() {
  static const std::set<std::string> flags{"addr", "token", "cacert", "client-cert", "client-key"};
  return flags;
}

std::optional<ApiClient> ApiClient::from(const Args& args) {
  ApiClient client;
  client.base_ = setting(args, "addr", "SIGNET_ADDR");
  if (client.base_.empty()) {
    std::cerr << "signet: no server address: give --addr https://HOST:PORT or set SIGNET_ADDR\n";
    return std::nullopt;
  }
  while (!client.base_.empty() && client.base_.back() == '/') client.base_.pop_back();
  client.token_ = setting(args, "token", "SIGNET_TOKEN");
  client.options_.ca_file = setting(args, "cacert", "SIGNET_CACERT");
  client.options_.client_cert_file = args.flag("client-cert").value_or("");
  client.options_.client_key_file = args.flag("client-key").value_or("");
  client.options_.timeout = std::chrono::seconds(60);  // a request may wait for a pipeline
  return client;
}

std::optional<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                              const nlohmann::json& body, int* status) {
  HttpRequest request;
  request.method = method;
  request.url = base_ + path;
  request.options = options_;
  if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  auto response = http_.send(request);
  if (!response) {
    std::cerr << "signet: " << response.error().message << "\n";
    return std::nullopt;
  }
  if (status) *status = response->status;
  const auto parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status >= 200 && response->status < 300) return parsed.is_discarded() ? nlohmann::json() : parsed;
  if (!parsed.is_discarded() && parsed.contains("error"))
    std::cerr << "signet: " << parsed["error"].value("code", "error") << ": " << parsed["error"].value("message", "")
              << "\n";
  else
    std::cerr << "signet: the server answered HTTP " << response->status << "\n";
  return std::nullopt;
}

}  // namespace signet::host
