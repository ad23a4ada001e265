// notify-email's parts that need no SMTP server: the message as it goes to
// DATA (line ends, header injection, encoded words, base64 line length,
// the Message-ID), templates (HTML escaping), the configuration's refusals
// and the per-minute limit. tests/e2e/notify_email_test.cpp sends real mail.
#include <gtest/gtest.h>

#include "config.hpp"
#include "email.hpp"
#include "message.hpp"
#include "services/host_services.hpp"
#include "templates.hpp"

namespace signet::email {
namespace {

using nlohmann::json;

MessageInput sample() {
  MessageInput in;
  in.from = {"Signet PKI", "signet@example.com"};
  in.to = {"a@example.com", "b@example.com"};
  in.subject = "Certificate app.example.com";
  in.text = "line one\nline two\n";
  in.html = "<p>hello</p>";
  in.event_id = "evt_0123";
  in.event_type = "issued";
  in.date = std::chrono::system_clock::from_time_t(1796436000);  // 2026-12-05T02:00:00Z
  return in;
}

TEST(EmailMessage, EveryLineEndsInCrlfAndNoLineIsTooLong) {
  MessageInput in = sample();
  in.text = std::string(5000, 'x');
  const std::string message = build_message(in);
  std::size_t start = 0;
  while (start < message.size()) {
    const std::size_t end = message.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    ASSERT_GT(end, start);
    EXPECT_EQ(message[end - 1], '\r') << message.substr(start, end - start);
    EXPECT_LE(end - start - 1, 998u);  // RFC 5322 §2.1.1
    start = end + 1;
  }
  EXPECT_NE(message.find("Message-ID: <evt_0123@signet>\r\n"), std::string::npos);
  EXPECT_NE(message.find("Date: Sat, 05 Dec 2026 02:00:00 +0000\r\n"), std::string::npos) << message.substr(0, 400);
  EXPECT_NE(message.find("To: a@example.com, b@example.com\r\n"), std::string::npos);
  EXPECT_NE(message.find("Content-Type: multipart/alternative"), std::string::npos);
}

TEST(EmailMessage, AHeaderValueCannotStartAnotherHeader) {
  MessageInput in = sample();
  in.subject = "cn.example.com\r\nBcc: victim@example.org";
  const std::string message = build_message(in);
  EXPECT_EQ(message.find("\r\nBcc:"), std::string::npos) << message.substr(0, 400);
  EXPECT_EQ(clean_header_value("a\r\nb\tc\n"), "a  b c");
}

TEST(EmailMessage, NonAsciiSubjectsAreEncodedWords) {
  const std::string encoded = encode_unstructured("Zertifikat läuft ab");
  EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u) << encoded;
  EXPECT_EQ(encode_unstructured("plain ascii"), "plain ascii");
  for (const auto& line : {base64_lines(std::string(200, 'y'))}) {
    std::size_t start = 0;
    while (start < line.size()) {
      const std::size_t end = line.find("\r\n", start);
      ASSERT_NE(end, std::string::npos);
      EXPECT_LE(end - start, 76u);
      start = end + 2;
    }
  }
}

TEST(EmailMessage, AddressesAreCheckedSimply) {
  EXPECT_TRUE(valid_address("owner@example.com"));
  for (const char* bad : {"", "no-at", "a@", "@b", "a b@c", "a@b@c", "<a@b>", "a@b\r\n", "a,b@c"})
    EXPECT_FALSE(valid_address(bad)) << bad;
  const auto mailbox = parse_mailbox("Signet PKI <signet@example.com>");
  ASSERT_TRUE(mailbox);
  EXPECT_EQ(mailbox->address, "signet@example.com");
  EXPECT_EQ(mailbox->display, "Signet PKI");
}

TEST(EmailTemplates, HtmlGetsEscapedValuesTextDoesNot) {
  const Fields fields = {{"common_name", "<b>&\"x\"</b>"}};
  EXPECT_EQ(render("{{common_name}}", fields, Escape::html, EmptyLines::keep), "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;");
  EXPECT_EQ(render("{{common_name}}", fields, Escape::none, EmptyLines::keep), "<b>&\"x\"</b>");
  EXPECT_EQ(render("[{{unknown}}]", fields, Escape::none, EmptyLines::keep), "[]");
}

TEST(EmailTemplates, EventFieldsFlattenDataMetadataAndSans) {
  Event event;
  event.id = "evt_1";
  event.type = EventType::issued;
  event.data = {{"common_name", "app.example.com"}, {"serial", "0a"}, {"metadata", {{"owner_email", "o@example.com"}}},
                {"sans", {{"dns", {"a.example.com", "b.example.com"}}, {"ip", json::array()}}},
                {"error", {{"code", "rejected"}, {"message", "no"}}}};
  const Fields fields = event_fields(event);
  EXPECT_EQ(fields.at("type"), "issued");
  EXPECT_EQ(fields.at("common_name"), "app.example.com");
  EXPECT_EQ(fields.at("metadata.owner_email"), "o@example.com");
  EXPECT_EQ(fields.at("sans"), "a.example.com, b.example.com");
  EXPECT_EQ(fields.at("error_code"), "rejected");
}

std::string config_refusal(const json& config) {
  auto read = read_config(config);
  if (read) return "";
  return read.error().problems.empty() ? read.error().message : read.error().problems.front().message;
}

TEST(EmailConfig, PlainSmtpOnlyToThisMachine) {
  const json base = {{"from", "signet@example.com"}, {"to", {"a@example.com"}}};
  json local = base, remote = base;
  local["smtp"] = {{"host", "127.0.0.1"}, {"tls", "none"}};
  remote["smtp"] = {{"host", "mail.example.com"}, {"tls", "none"}};
  EXPECT_EQ(config_refusal(local), "");
  EXPECT_NE(config_refusal(remote), "");
  json starttls = base;
  starttls["smtp"] = {{"host", "mail.example.com"}};
  EXPECT_EQ(config_refusal(starttls), "");
  EXPECT_EQ(read_config(starttls)->smtp.port, 587);
}

TEST(EmailRateLimit, OverTheMinuteIsRateLimitedWithWhenToComeBack) {
  // Nothing listens on port 9 of this machine: attempts fail as unavailable,
  // and they count against the minute as sends would.
  auto config = read_config({{"smtp", {{"host", "127.0.0.1"}, {"port", 9}, {"tls", "none"}, {"timeout_seconds", 2}}},
                             {"from", "signet@example.com"}, {"to", {"a@example.com"}}, {"per_minute", 2}});
  ASSERT_TRUE(config) << config.error().message;
  host::HostServicesImpl services(LogLevel::error);
  EmailNotifier notifier(std::move(config).value(), services);
  Event event;
  event.type = EventType::issued;
  for (const char* id : {"evt_a", "evt_b"}) {
    event.id = id;
    auto sent = notifier.notify(event);
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().code, ErrorCode::unavailable) << sent.error().message;
  }
  event.id = "evt_c";
  auto limited = notifier.notify(event);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, ErrorCode::rate_limited) << limited.error().message;
  ASSERT_TRUE(limited.error().retry_after);
  EXPECT_GT(limited.error().retry_after->count(), 0);
  EXPECT_LE(limited.error().retry_after->count(), 60);
}

}  // namespace
}  // namespace signet::email
