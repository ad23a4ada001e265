// notify-webhook's pure parts: which receiver URLs it accepts, which route
// an event takes, and the signature receivers check (the vector below was
// computed with `openssl dgst -sha256 -hmac`).
#include "webhook.hpp"

#include <gtest/gtest.h>

namespace signet::webhook {
namespace {

using nlohmann::json;

constexpr const char* kSecret = "a-secret-of-16-chars";

std::string url_refusal(const std::string& url, bool allow_http = false) {
  auto read = read_config({{"url", url}, {"secret", kSecret}, {"allow_http", allow_http}});
  if (read) return "";
  return read.error().problems.empty() ? read.error().message : read.error().problems.front().message;
}

TEST(WebhookConfig, HttpsAlwaysPlainHttpOnlyToThisMachine) {
  EXPECT_EQ(url_refusal("https://hooks.example.com/signet"), "");
  for (const char* local : {"http://127.0.0.1:8080/x", "http://127.9.9.9/x", "http://localhost/x", "http://localhost:81",
                            "http://[::1]:8080/x", "http://user@localhost/x"})
    EXPECT_EQ(url_refusal(local), "") << local;
  // Names that only start like a loopback address are somewhere else.
  for (const char* remote : {"http://hooks.example.com/x", "http://localhost.example.com/x", "http://127.0.0.1.nip.io/x",
                             "http://[::1].example.com/x", "http://localhost@hooks.example.com/x", "http://10.0.0.1/x"})
    EXPECT_NE(url_refusal(remote).find("unencrypted"), std::string::npos) << remote;
  EXPECT_EQ(url_refusal("http://hooks.example.com/x", true), "");
  EXPECT_EQ(url_refusal("ftp://hooks.example.com/x"), "must be an https:// URL");
}

TEST(WebhookConfig, EveryRouteNeedsASecretAndATarget) {
  auto read = read_config({{"url", "https://a.example.com"}, {"secret", "short"},
                           {"routes", json::array({{{"url", "https://b.example.com"}}})}});
  ASSERT_FALSE(read);
  std::vector<std::string> pointers;
  for (const auto& p : read.error().problems) pointers.push_back(p.path);
  EXPECT_EQ(pointers, (std::vector<std::string>{"/secret", "/routes/0", "/routes/0/secret"}));
  EXPECT_FALSE(read_config(json::object()));
}

TEST(WebhookRouting, TheMostSpecificRouteWins) {
  auto read = read_config({{"url", "https://default.example.com"},
                           {"secret", kSecret},
                           {"routes", json::array({{{"tenant", "acme"}, {"url", "https://acme.example.com"}},
                                                   {{"service", "web"}, {"url", "https://web.example.com"}},
                                                   {{"tenant", "acme"}, {"service", "web"}, {"url", "https://acme-web.example.com"}}})}});
  ASSERT_TRUE(read) << read.error().message;
  const auto url = [&](const char* tenant, const char* service) { return route_for(read.value(), tenant, service)->url; };
  EXPECT_EQ(url("acme", "web"), "https://acme-web.example.com");
  EXPECT_EQ(url("other", "web"), "https://web.example.com");
  EXPECT_EQ(url("acme", "api"), "https://acme.example.com");
  EXPECT_EQ(url("other", ""), "https://default.example.com");
  auto routes_only = read_config({{"secret", kSecret}, {"routes", json::array({{{"tenant", "acme"}, {"url", "https://a.example.com"}}})}});
  ASSERT_TRUE(routes_only);
  EXPECT_EQ(route_for(routes_only.value(), "other", "web"), nullptr);  // no receiver: recorded as not sent
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBody) {
  EXPECT_EQ(signature(kSecret, "1700000000", R"({"a":1})"),
            "sha256=966dfd9e7287134bae9078b9ca8cad81556798be645cd07bef60884b917d8d01");
}

}  // namespace
}  // namespace signet::webhook
