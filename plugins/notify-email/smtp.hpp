// notify-email: one SMTP transaction per message, with libcurl
// (docs/plugins/notify-email.md).
//
// The host's HttpClient speaks HTTP(S) only, so this plugin links libcurl
// itself for SMTP. The host has already called curl_global_init (it owns
// libcurl's global state for the process): this code never calls
// curl_global_init or curl_global_cleanup.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <signet/result.hpp>

namespace signet::email {

enum class TlsMode {
  starttls,  // smtp://, then STARTTLS, required (CURLUSESSL_ALL)
  implicit,  // smtps://: TLS from the first byte
  none,      // plain SMTP: loopback servers only (config.cpp)
};

const char* to_string(TlsMode mode) noexcept;

struct SmtpSettings {
  std::string host;  // a DNS name or an IP address (IPv6 without brackets)
  int port = 587;
  TlsMode tls = TlsMode::starttls;
  std::string username;  // empty: no AUTH
  std::string password;  // never in a message or a log line
  std::string ca_file;   // PEM bundle to verify the server; empty: the system store
  std::chrono::milliseconds timeout{30000};  // the whole transaction
  std::chrono::milliseconds connect_timeout{10000};
};

// "smtp://mail.example.com:587", "smtps://[::1]:465".
std::string smtp_url(const SmtpSettings& settings);

// How messages name the server: "mail.example.com:587 (starttls)".
std::string describe(const SmtpSettings& settings);

// Sends `message` (a complete RFC 5322 message, CRLF line ends) to
// `recipients` with envelope sender `from` (bare addresses, no <>), in one
// SMTP transaction on a new connection. All or nothing: a recipient the
// server refuses fails the whole message, so a retry never reaches the
// others twice. Errors: unavailable or timeout (retryable: transport, TLS,
// SMTP 4xx), unauthenticated (AUTH refused, or the server demands it),
// rejected (SMTP 5xx), internal (a bug: bad URL, bad option).
Result<void> send_mail(const SmtpSettings& settings, const std::string& from,
                       const std::vector<std::string>& recipients, const std::string& message);

// The error for a failed transaction: `curl_code` is the CURLcode,
// `reply` the server's last SMTP reply code (CURLINFO_RESPONSE_CODE, 0 when
// none), `detail` curl's error text, `server` as describe() names it.
// Declared here for unit tests.
Error transfer_error(int curl_code, long reply, const std::string& detail, const std::string& server);

}  // namespace signet::email
