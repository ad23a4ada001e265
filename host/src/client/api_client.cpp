#include "client/api_client.hpp"

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

std::string ApiAnswer::error_code() const {
  if (body.is_object() && body.contains("error") && body["error"].is_object()) return body["error"].value("code", "error");
  return "";
}

std::string ApiAnswer::error_text() const {
  if (const std::string code = error_code(); !code.empty()) return code + ": " + body["error"].value("message", "");
  return "the server answered HTTP " + std::to_string(status);
}

void ApiClient::use_client_certificate(const std::string& cert_file, const std::string& key_file) {
  options_.client_cert_file = cert_file;
  options_.client_key_file = key_file;
  send_token_ = false;
}

bool ApiClient::use_token() {
  options_.client_cert_file.clear();
  options_.client_key_file.clear();
  send_token_ = true;
  return !token_.empty();
}

Result<ApiAnswer> ApiClient::send(const std::string& method, const std::string& path, const nlohmann::json& body) {
  HttpRequest request;
  request.method = method;
  request.url = base_ + path;
  request.options = options_;
  if (send_token_ && !token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  auto response = http_.send(request);
  if (!response) return std::move(response).error();
  const auto parsed = nlohmann::json::parse(response->body, nullptr, false);
  return ApiAnswer{response->status, parsed.is_discarded() ? nlohmann::json() : parsed, response->header("date")};
}

std::optional<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                              const nlohmann::json& body, int* status) {
  auto answer = send(method, path, body);
  if (!answer) {
    std::cerr << "signet: " << answer.error().message << "\n";
    return std::nullopt;
  }
  if (status) *status = answer->status;
  if (answer->status >= 200 && answer->status < 300) return answer->body;
  std::cerr << "signet: " << answer->error_text() << "\n";
  return std::nullopt;
}

}  // namespace signet::host
