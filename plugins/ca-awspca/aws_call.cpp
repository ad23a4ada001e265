#include "aws_call.hpp"

namespace signet::awspca {

std::string error_type_of(const std::string& raw) {
  std::string type = raw.substr(0, raw.find(':'));
  if (const auto hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
  return type;
}

std::string authority_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  std::string authority = url.substr(start, url.find_first_of("/?#", start) - start);
  // HTTP clients leave a scheme's default port out of Host; so must the signature.
  const std::string default_port = url.rfind("https://", 0) == 0 ? ":443" : ":80";
  if (authority.ends_with(default_port)) authority.resize(authority.size() - default_port.size());
  return authority;
}

namespace {

void read_error(AwsAnswer& answer, const HttpResponse& response) {
  std::string raw = response.header("x-amzn-errortype");
  if (answer.body.is_object()) {
    if (raw.empty()) raw = answer.body.value("__type", answer.body.value("code", ""));
    answer.error_message = answer.body.value("message", answer.body.value("Message", ""));
  }
  answer.error_type = raw.empty() ? "HTTP" + std::to_string(response.status) : error_type_of(raw);
}

}  // namespace

Result<AwsAnswer> call_json(HttpClient& http, const AwsEndpoint& endpoint, const AwsCredentials& credentials,
                            const std::string& target, const nlohmann::json& body,
                            std::chrono::system_clock::time_point now) {
  HttpMessage message;
  message.body = body.dump();
  message.headers = {{"Host", authority_of(endpoint.url)},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", target}};
  const long long seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  sign(message, credentials, {amz_date(seconds), endpoint.region, endpoint.service});

  HttpRequest request;
  request.method = "POST";
  request.url = endpoint.url + "/";
  request.body = std::move(message.body);
  for (auto& header : message.headers)
    if (header.first != "Host") request.headers.push_back(std::move(header));  // the client sends Host itself
  request.headers.emplace_back("User-Agent", "signet-ca-awspca/1.0");
  request.options.timeout = endpoint.timeout;
  request.options.connect_timeout = std::min(endpoint.timeout, std::chrono::milliseconds(5000));
  request.options.ca_file = endpoint.ca_file;
  request.options.proxy = endpoint.proxy;
  request.options.max_attempts = 1;  // retries belong to the host's runner, with its back-off

  auto response = http.send(request);
  if (!response) return std::move(response).error();
  AwsAnswer answer;
  answer.status = response->status;
  answer.request_id = response->header("x-amzn-requestid");
  answer.body = response->body.empty() ? nlohmann::json() : nlohmann::json::parse(response->body, nullptr, false);
  if (answer.body.is_discarded()) answer.body = nullptr;
  if (!answer.ok()) read_error(answer, *response);
  return answer;
}

}  // namespace signet::awspca
