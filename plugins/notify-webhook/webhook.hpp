// notify-webhook: lifecycle events as signed JSON POSTs
// (docs/plugins/notify-webhook.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <signet/sdk.hpp>

namespace signet::webhook {

// Where one kind of event goes: the most specific route that matches wins
// (tenant and service, then service, then tenant, then the default).
struct Route {
  std::string tenant;   // slug; "" matches any
  std::string service;  // "" matches any
  std::string url;
  std::string secret;   // HMAC-SHA256 key
};

struct WebhookConfig {
  std::vector<Route> routes;  // the default route (no tenant, no service) included when `url` is set
  std::vector<std::string> events;  // types delivered; empty: all
  HttpOptions http;
};

// Reads and checks the instance's config (the schema has checked shapes);
// every problem is one ConfigProblem.
Result<WebhookConfig> read_config(const nlohmann::json& config);

// The most specific route for a tenant slug and service; null when none.
const Route* route_for(const WebhookConfig& config, const std::string& tenant, const std::string& service);

// The JSON body receivers get.
std::string event_body(const Event& event);

// "sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>".
std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body);

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(WebhookConfig config, HostServices& services) : config_(std::move(config)), services_(services) {}
  Result<void> notify(const Event& event) override;

 private:
  WebhookConfig config_;
  HostServices& services_;
};

}  // namespace signet::webhook
