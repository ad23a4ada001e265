#include "smtp.hpp"

#include <curl/curl.h>
#include <curlutil/curl.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

namespace signet::email {
namespace {

using CurlEasy = curlutil::Easy;
using CurlList = curlutil::List;
using CurlOptions = curlutil::Options;

// The message as curl reads it for DATA. curl does the SMTP dot-stuffing
// and sends the final "." itself.
struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

// Called from C: nothing here can throw.
std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) noexcept {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t room = size * count;
  const std::size_t left = upload->data.size() - upload->offset;
  const std::size_t n = std::min(room, left);
  if (n > 0) std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

bool is_tls_failure(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:  // the server offers no STARTTLS, or refused it
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

// Failures of this code, not of the server or the network.
bool is_local_mistake(CURLcode code) {
  return code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT || code == CURLE_NOT_BUILT_IN ||
         code == CURLE_BAD_FUNCTION_ARGUMENT || code == CURLE_UNKNOWN_OPTION;
}

// Replies that mean "authenticate (properly) first": 530 authentication
// (or STARTTLS) required, 534 mechanism too weak, 535 credentials invalid,
// 538 encryption required for the mechanism (RFC 4954 §6).
bool is_auth_reply(long reply) { return reply == 530 || reply == 534 || reply == 535 || reply == 538; }

}  // namespace

const char* to_string(TlsMode mode) noexcept {
  switch (mode) {
    case TlsMode::starttls: return "starttls";
    case TlsMode::implicit: return "implicit";
    case TlsMode::none: return "none";
  }
  return "unknown";
}

std::string smtp_url(const SmtpSettings& settings) {
  const bool ipv6 = settings.host.find(':') != std::string::npos;
  return std::string(settings.tls == TlsMode::implicit ? "smtps://" : "smtp://") +
         (ipv6 ? "[" + settings.host + "]" : settings.host) + ":" + std::to_string(settings.port);
}

std::string describe(const SmtpSettings& settings) {
  const bool ipv6 = settings.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + settings.host + "]" : settings.host) + ":" + std::to_string(settings.port) + " (" +
         to_string(settings.tls) + ")";
}

Error transfer_error(int curl_code, long reply, const std::string& detail, const std::string& server) {
  const auto code = static_cast<CURLcode>(curl_code);
  const std::string who = "SMTP server " + server;
  const std::string with_reply = reply > 0 ? " (reply " + std::to_string(reply) + ")" : "";
  // TLS failures are retried, not failed for good. They almost always come
  // from the server's side or the trust configuration: a certificate that
  // expired or was renewed by a CA not in ca_file, a name that does not
  // match, STARTTLS switched off for maintenance. Those get fixed without
  // anyone touching the event; failing it would lose the notification for
  // a transport problem. The outbox keeps retrying with back-off until
  // notifications.give_up_after, and GET /v1/notifications shows this
  // message as the reason meanwhile.
  if (is_tls_failure(code))
    return make_error(ErrorCode::unavailable, "TLS failed with " + who + ": " + detail +
                                                  "; check the server's certificate, smtp.ca_file and smtp.tls (retried)");
  if (code == CURLE_OPERATION_TIMEDOUT)
    return make_error(ErrorCode::timeout, who + " did not answer in time: " + detail + " (retried)");
  // 4xx: the server says "not now" (421 closing, 450/451 greylisting or a
  // local problem, 452 out of storage, 454 temporary AUTH failure).
  if (reply >= 400 && reply < 500)
    return make_error(ErrorCode::unavailable, who + " refused for now" + with_reply + ": " + detail + " (retried)");
  if (code == CURLE_LOGIN_DENIED || is_auth_reply(reply))
    return make_error(ErrorCode::unauthenticated, who + " did not accept our authentication" + with_reply + ": " +
                                                      detail + "; check smtp.username, smtp.password and smtp.tls");
  if (reply >= 500 && reply < 600)
    return make_error(ErrorCode::rejected, who + " refused the message" + with_reply + ": " + detail);
  if (is_local_mistake(code)) return make_error(ErrorCode::internal, "cannot talk to " + who + ": " + detail);
  // Connection refused, name not resolved, connection reset, nothing
  // received: the server is down or unreachable for now.
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)
    return make_error(ErrorCode::unavailable, "cannot reach " + who + ": " + detail + " (retried)");
  return make_error(ErrorCode::unavailable,
                    "the transaction with " + who + " broke off" + with_reply + ": " + detail + " (retried)");
}

Result<void> send_mail(const SmtpSettings& settings, const std::string& from,
                       const std::vector<std::string>& recipients, const std::string& message) {
  if (recipients.empty()) return make_error(ErrorCode::invalid_argument, "a message needs at least one recipient");
  const std::string server = describe(settings);
  const CurlEasy handle(curl_easy_init());
  if (!handle) return make_error(ErrorCode::internal, "cannot create a curl handle");

  CurlList rcpt;
  for (const auto& address : recipients) {
    curl_slist* head = curl_slist_append(rcpt.get(), ("<" + address + ">").c_str());
    if (head == nullptr) return make_error(ErrorCode::internal, "out of memory building the recipient list");
    if (!rcpt) rcpt.reset(head);
  }

  Upload upload{message, 0};
  char errors[CURL_ERROR_SIZE] = {};
  const auto connect_timeout = std::min(settings.connect_timeout, settings.timeout);
  CurlOptions set(handle.get());
  set.number(CURLOPT_NOSIGNAL, 1L)  // signals are process-wide; notify() runs on many threads
      .pointer(CURLOPT_ERRORBUFFER, errors)
      .text(CURLOPT_URL, smtp_url(settings))
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
      .text(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
#else
      .number(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_SMTP | CURLPROTO_SMTPS))
#endif
      .text(CURLOPT_NOPROXY, "*")  // never through a proxy from all_proxy and friends
      .number(CURLOPT_USE_SSL, static_cast<long>(settings.tls == TlsMode::none ? CURLUSESSL_NONE : CURLUSESSL_ALL))
      .number(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2))
      .number(CURLOPT_SSL_VERIFYPEER, 1L)
      .number(CURLOPT_SSL_VERIFYHOST, 2L)
      .number(CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()))
      .number(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()))
      .text(CURLOPT_MAIL_FROM, "<" + from + ">")
      .pointer(CURLOPT_MAIL_RCPT, rcpt.get())
      .reader(CURLOPT_READFUNCTION, read_message)
      .pointer(CURLOPT_READDATA, &upload)
      .number(CURLOPT_UPLOAD, 1L)
      .large(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  if (!settings.ca_file.empty()) set.text(CURLOPT_CAINFO, settings.ca_file);
  if (!settings.username.empty()) set.text(CURLOPT_USERNAME, settings.username).text(CURLOPT_PASSWORD, settings.password);
  if (set.result() != CURLE_OK)
    return make_error(ErrorCode::internal,
                      "cannot configure the SMTP transfer to " + server + ": " + curl_easy_strerror(set.result()));

  const CURLcode code = curl_easy_perform(handle.get());
  if (code == CURLE_OK) return {};
  long reply = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &reply);
  // curl's texts name the server, the step and the reply code, never the
  // credentials (they are not part of the URL either).
  const std::string detail = errors[0] != '\0' ? std::string(errors) : std::string(curl_easy_strerror(code));
  return transfer_error(static_cast<int>(code), reply, detail, server);
}

}  // namespace signet::email
