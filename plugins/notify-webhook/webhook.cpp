#include "webhook.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace signet::webhook {
namespace {

constexpr std::size_t kMinSecret = 16;

// The URL's host exactly: "localhost", an IPv4 address in 127.0.0.0/8 or
// [::1]; "localhost.example.com" and "127.0.0.1.nip.io" are not.
bool loopback_host(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return false;
  std::string host = url.substr(start + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (const auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (host.rfind("[::1]", 0) == 0) return host.size() == 5 || host[5] == ':';
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

// https:// always; http:// only to this machine, unless allowed outright.
std::optional<std::string> url_problem(const std::string& url, bool allow_http) {
  if (url.rfind("https://", 0) == 0) return std::nullopt;
  if (url.rfind("http://", 0) == 0 && (allow_http || loopback_host(url))) return std::nullopt;
  if (url.rfind("http://", 0) == 0)
    return "plain http:// would send events unencrypted; use https:// (or set allow_http: true)";
  return "must be an https:// URL";
}

// How much a receiver's route names: tenant and service 3, service 2, tenant 1, default 0.
int specificity(const Route& r) { return (r.service.empty() ? 0 : 2) + (r.tenant.empty() ? 0 : 1); }

Error http_failure(int status, const std::string& retry_after) {
  const std::string message = "the receiver answered HTTP " + std::to_string(status);
  if (status == 429 || status == 408 || status >= 500) {
    Error e = make_error(status == 429 ? ErrorCode::rate_limited : ErrorCode::unavailable, message);
    int seconds = 0;
    if (std::sscanf(retry_after.c_str(), "%d", &seconds) == 1 && seconds > 0) e.retry_after = std::chrono::seconds(seconds);
    return e;
  }
  return make_error(ErrorCode::rejected, message + ": it refused the event");
}

}  // namespace

Result<WebhookConfig> read_config(const nlohmann::json& c) {
  WebhookConfig out;
  Error problems = make_error(ErrorCode::invalid_config, "invalid notify-webhook configuration");
  const bool allow_http = c.value("allow_http", false);
  const std::string default_secret = c.value("secret", "");
  auto add_route = [&](Route r, const std::string& pointer) {
    if (r.secret.empty()) r.secret = default_secret;
    if (auto p = url_problem(r.url, allow_http)) problems.problems.push_back({pointer + "/url", *p});
    if (r.secret.size() < kMinSecret)
      problems.problems.push_back({pointer + "/secret", "a signing secret of at least 16 characters is required"});
    out.routes.push_back(std::move(r));
  };
  if (c.contains("url")) add_route({"", "", c.at("url").get<std::string>(), default_secret}, "");
  const auto routes = c.value("routes", nlohmann::json::array());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    const std::string pointer = "/routes/" + std::to_string(i);
    Route route{r.value("tenant", ""), r.value("service", ""), r.value("url", ""), r.value("secret", "")};
    if (route.tenant.empty() && route.service.empty())
      problems.problems.push_back({pointer, "a route names a tenant, a service or both (the top-level url is the default)"});
    add_route(std::move(route), pointer);
  }
  if (out.routes.empty()) problems.problems.push_back({"", "give a url, routes, or both"});
  for (const auto& e : c.value("events", nlohmann::json::array())) out.events.push_back(e.get<std::string>());
  out.http.timeout = std::chrono::seconds(c.value("timeout_seconds", 10));
  out.http.connect_timeout = std::min<std::chrono::milliseconds>(out.http.timeout, std::chrono::seconds(5));
  out.http.ca_file = c.value("ca_file", "");
  out.http.max_attempts = 1;  // the host retries, with the outbox's back-off
  if (!problems.problems.empty()) return problems;
  return out;
}

const Route* route_for(const WebhookConfig& config, const std::string& tenant, const std::string& service) {
  const Route* best = nullptr;
  for (const auto& r : config.routes) {
    if (!r.tenant.empty() && r.tenant != tenant) continue;
    if (!r.service.empty() && r.service != service) continue;
    if (!best || specificity(r) > specificity(*best)) best = &r;
  }
  return best;
}

std::string event_body(const Event& event) {
  return nlohmann::json{{"id", event.id},
                        {"type", to_string(event.type)},
                        {"time", to_rfc3339(event.time)},
                        {"tenant", event.tenant},
                        {"service", event.service.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.service)},
                        {"request_id", event.request_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.request_id)},
                        {"certificate_id",
                         event.certificate_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(event.certificate_id)},
                        {"data", event.data}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body) {
  const std::string signed_text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(signed_text.data()),
       signed_text.size(), mac, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

Result<void> WebhookNotifier::notify(const Event& event) {
  const std::string type = to_string(event.type);
  if (!config_.events.empty() && std::find(config_.events.begin(), config_.events.end(), type) == config_.events.end())
    return make_error(ErrorCode::not_found, "this notifier does not deliver " + type + " events (events:)");
  const Route* route = route_for(config_, event.tenant, event.service);
  if (!route)
    return make_error(ErrorCode::not_found, "no webhook receiver is configured for tenant " + event.tenant +
                                                (event.service.empty() ? "" : " and service " + event.service));
  const std::string body = event_body(event);
  const std::string timestamp = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(services_.clock().now().time_since_epoch()).count());
  HttpRequest request{"POST", route->url,
                      {{"Content-Type", "application/json"},
                       {"User-Agent", "signet-notify-webhook/1"},
                       {"X-Signet-Event-Id", event.id},
                       {"X-Signet-Event-Type", type},
                       {"X-Signet-Timestamp", timestamp},
                       {"X-Signet-Signature", signature(route->secret, timestamp, body)}},
                      body, config_.http};
  auto response = services_.http().send(request);
  if (!response) return std::move(response).error();  // unavailable or timeout: retried
  const int status = response->status;
  services_.metrics().counter_add("signet_webhook_responses_total", "Webhook receiver answers by status class",
                                  {{"class", std::to_string(status / 100) + "xx"}}, 1);
  if (status >= 200 && status < 300) return {};
  return http_failure(status, response->header("retry-after"));
}

}  // namespace signet::webhook
